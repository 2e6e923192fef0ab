// Command-line parsing for `shouyin`: positionals and `--flag value` / `--flag=value` options, each
// command declaring the options it takes. A mistake is a UsageError (exit code 2), never a guess.

export class UsageError extends Error {}

/** Options every command takes. @type {Record<string, 'string' | 'boolean' | 'list'>} */
export const GLOBAL_OPTIONS = {
  url: 'string',
  'admin-key': 'string',
  json: 'boolean',
  help: 'boolean',
};

/**
 * @param {string[]} argv
 * @param {Record<string, 'string' | 'boolean' | 'list'>} spec options of the command (the global ones are added)
 * @returns {{ positionals: string[], options: Record<string, string | boolean | string[] | undefined> }}
 */
export function parseArgs(argv, spec) {
  /** @type {Record<string, 'string' | 'boolean' | 'list'>} */
  const all = { ...GLOBAL_OPTIONS, ...spec };
  /** @type {string[]} */
  const positionals = [];
  /** @type {Record<string, string | boolean | string[] | undefined>} */
  const options = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = /** @type {string} */ (argv[i]);
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-h') {
      options.help = true;
      continue;
    }
    if (!arg.startsWith('--') || arg === '-') {
      if (arg.startsWith('-') && arg !== '-') throw new UsageError(`Unknown option ${arg}.`);
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const type = all[name];
    if (!type) throw new UsageError(`Unknown option --${name}.`);
    if (type === 'boolean') {
      if (eq >= 0) throw new UsageError(`--${name} takes no value.`);
      options[name] = true;
      continue;
    }
    let value;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      value = argv[++i];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`--${name} needs a value.`);
    }
    if (type === 'list') {
      const list = /** @type {string[]} */ (options[name] ?? []);
      options[name] = [...list, value];
    } else options[name] = value;
  }
  return { positionals, options };
}

const UNITS = { s: 1, m: 60, h: 3600, d: 86400 };

/**
 * A duration for an option: `24h`, `30m`, `7d`, `90s`, or a number of seconds (`0` = at once).
 * @param {string} text
 * @param {string} option for the error message
 * @returns {number} seconds
 */
export function parseDuration(text, option) {
  const m = /^(\d{1,9})([smhd]?)$/.exec(text.trim());
  if (!m) throw new UsageError(`${option} must be a duration such as 24h, 30m, 7d, 90s or 0 (got ${JSON.stringify(text)}).`);
  return Number(m[1]) * UNITS[/** @type {'s' | 'm' | 'h' | 'd'} */ (m[2] || 's')];
}
