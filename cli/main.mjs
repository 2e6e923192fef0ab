// `shouyin`: the operator's command line for a Shouyin Worker (docs/deploy.md#the-shouyin-cli). It
// talks to the admin API (/v1/admin/…) with an admin key; `check` and `keygen` work offline. Human
// tables by default, `--json` for scripts. Exit codes: 0 ok, 1 the Worker (or an input file) said no,
// 2 the command line itself is wrong. No secret is ever printed, except a merchant API key when it is
// created or rolled (once, labelled) and the fresh values `keygen` makes.

import { randomBytes, randomInt } from 'node:crypto';
import { basename } from 'node:path';
import { UsageError, parseArgs, parseDuration } from './args.mjs';
import { checkOffline, isConfigDocument, loadWorkerParser } from './check.mjs';
import { InputError, loadDevVarsConfig, loadInput } from './files.mjs';
import { ApiError, DEFAULT_URL, call, connection, request } from './http.mjs';
import { table, when } from './table.mjs';

const CHANNELS = ['wechat_pay', 'alipay', 'unionpay'];
const MERCHANT_ID = /^[a-z0-9][a-z0-9_-]{0,31}$/;

/**
 * @typedef {{ out: (s: string) => void, err: (s: string) => void, env: Record<string, string | undefined>, cwd: string }} Io
 * @typedef {{ positionals: string[], options: Record<string, any>, io: Io }} Ctx
 * @typedef {{ usage: string, summary: string, help: string, options?: Record<string, 'string' | 'boolean' | 'list'>,
 *   args: [number, number], run: (ctx: Ctx) => Promise<number> }} Command
 */

const CONNECTION_HELP = `Connection (every command that calls the Worker):
  --url URL            the Worker's URL (env SHOUYIN_URL; default ${DEFAULT_URL}, where npm start serves it)
  --admin-key KEY      an admin key, sk_admin_… (env SHOUYIN_ADMIN_KEY), one of the Worker secret SHOUYIN_ADMIN_KEYS
  --json               print the API's JSON instead of a table`;

/** @param {Ctx} ctx */
const conn = (ctx) => connection(ctx.options, ctx.io.env);

/**
 * An error message as it may be printed. The Worker's parser quotes the start of a value it refuses
 * in a public field (an id, a URL, a public key): when a private key was pasted there by mistake,
 * that quote would be key material. PEM content and whole API keys are cut out of every message.
 * @param {string} message
 */
export function redact(message) {
  return message
    .replace(/-----BEGIN ([A-Z0-9 ]+)-----(?:[^"]|\\")*/g, '-----BEGIN $1----- … (not shown)')
    .replace(/\b(sk_(?:live|test|admin)_)[0-9A-Za-z]{5,}/g, '$1…');
}

/** Prints the API's answer as it came (`--json`). @param {Ctx} ctx @param {unknown} value @returns {number} exit code 0 */
function json(ctx, value) {
  ctx.io.out(JSON.stringify(value, null, 2));
  return 0;
}

/** @param {string} id */
function merchantId(id) {
  if (!MERCHANT_ID.test(id))
    throw new UsageError(`MERCHANT must be a merchant id: 1–32 lowercase letters, digits, _ or - (got ${JSON.stringify(id.slice(0, 40))}).`);
  return encodeURIComponent(id);
}

/** @param {string} channel */
function channelArg(channel) {
  if (!CHANNELS.includes(channel)) throw new UsageError(`CHANNEL must be one of ${CHANNELS.join(', ')} (got ${JSON.stringify(channel.slice(0, 40))}).`);
  return channel;
}

/** @param {any} m a MerchantSummary */
function merchantLine(m) {
  return `${m.id} (${m.livemode ? 'live' : 'test'} mode; ${(m.channels ?? []).join(', ') || 'no channels'}${m.apple ? '; apple' : ''}; version ${m.version})`;
}

/** @param {Ctx} ctx @param {string} key @param {string} what */
function showApiKey(ctx, key, what) {
  ctx.io.out(`${what} — shown once, store it now (Shouyin keeps only its hash):`);
  ctx.io.out(`  ${key}`);
}

/** @param {Ctx} ctx @param {any} m */
function showMerchant(ctx, m) {
  const rows = [
    ['id', m.id],
    ['name', m.name],
    ['mode', m.livemode ? 'live' : 'test'],
    ['channels', (m.channels ?? []).join(', ') || '—'],
    ['apple', m.apple ? 'yes' : 'no'],
    ['allowed origins', (m.allowed_origins ?? []).join(', ') || '—'],
    ['webhook', m.webhook?.url ?? '—'],
    ['source', m.source],
    ['version', m.version],
    ['created', when(m.created)],
    ['updated', when(m.updated)],
  ];
  const w = Math.max(...rows.map((r) => String(r[0]).length));
  for (const [k, v] of rows) ctx.io.out(`${String(k).padEnd(w)}  ${v ?? '—'}`);
  const keys = m.api_keys ?? [];
  ctx.io.out('');
  if (keys.length === 0) ctx.io.out('API keys: none');
  else {
    ctx.io.out('API keys');
    ctx.io.out(
      table(
        ['ID', 'PREFIX', 'CREATED', 'EXPIRES'],
        keys.map((k) => [k.id, `${k.prefix}…`, when(k.created), k.expires_at ? when(k.expires_at) : 'never']),
      ),
    );
  }
}

/** @param {Ctx} ctx @param {string} file */
function inputOf(ctx, file) {
  return loadInput(file, { pem: ctx.options.pem ?? [], cwd: ctx.io.cwd });
}

/** @param {Ctx} ctx @param {any[]} data @param {boolean} notes */
function showCredentials(ctx, data, notes) {
  ctx.io.out(
    table(
      ['MERCHANT', 'CHANNEL', 'CREDENTIAL', 'SUBJECT', 'SERIAL', 'NOT AFTER', 'DAYS LEFT'],
      data.map((r) => [
        r.merchant,
        r.channel,
        r.credential,
        r.subject,
        r.serial,
        r.not_after ? `${r.not_after.slice(0, 16).replace('T', ' ')} UTC` : 'unknown',
        r.days_left,
      ]),
    ),
  );
  if (notes) for (const r of data) if (r.note) ctx.io.out(`\n${r.merchant} ${r.credential}: ${r.note}`);
}

/** @type {Record<string, Record<string, Command>>} */
const GROUPS = {
  merchants: {
    apply: {
      usage: 'shouyin merchants apply FILE [--id ID] [--pem FIELD=FILE]…',
      summary: 'create or update a merchant from a JSON or YAML file',
      help: `FILE is one merchant entry of SHOUYIN_CONFIG (docs/configuration.md), as JSON or YAML, without the
secret_keys (Shouyin makes an API key and shows it once) but with "livemode": true or false. PEM files
are read from disk, never pasted:
  private_key: { $file: ./apiclient_key.pem }      (relative to FILE)
  --pem providers.unionpay.root_cert=acp_prod_root.pem   (relative to the current directory)
The merchant id is the file's "id", or --id. Errors name the field, as the Worker's config parser does.`,
      options: { id: 'string', pem: 'list' },
      args: [1, 1],
      run: async (ctx) => {
        const file = /** @type {string} */ (ctx.positionals[0]);
        const body = inputOf(ctx, file);
        const id = ctx.options.id ?? body.id;
        if (typeof id !== 'string') throw new UsageError(`${file} has no "id": add one or pass --id.`);
        if (body.id !== undefined && body.id !== id) throw new UsageError(`--id ${id} differs from the file's id ${JSON.stringify(body.id)}.`);
        const { status, body: res } = await request(conn(ctx), 'PUT', `/v1/admin/merchants/${merchantId(id)}`, { ...body, id });
        if (ctx.options.json) return json(ctx, res);
        ctx.io.out(`${status === 201 ? 'Created' : 'Updated'} merchant ${merchantLine(res.merchant)}.`);
        if (res.api_key) showApiKey(ctx, res.api_key, `API key of ${id}`);
        return 0;
      },
    },
    list: {
      usage: 'shouyin merchants list',
      summary: 'list merchants (no secrets)',
      help: 'Every merchant: the registry and, marked source=config, those only in SHOUYIN_CONFIG.',
      args: [0, 0],
      run: async (ctx) => {
        const res = await call(conn(ctx), 'GET', '/v1/admin/merchants');
        if (ctx.options.json) return json(ctx, res);
        if (res.data.length === 0) {
          ctx.io.out('No merchants yet: shouyin merchants apply FILE');
          return 0;
        }
        ctx.io.out(
          table(
            ['ID', 'NAME', 'MODE', 'CHANNELS', 'APPLE', 'KEYS', 'WEBHOOK', 'SOURCE', 'VERSION', 'UPDATED'],
            res.data.map((m) => [
              m.id,
              m.name,
              m.livemode ? 'live' : 'test',
              (m.channels ?? []).join(',') || '—',
              m.apple ? 'yes' : 'no',
              (m.api_keys ?? []).length,
              m.webhook?.url ?? '—',
              m.source,
              m.version,
              when(m.updated),
            ]),
          ),
        );
        return 0;
      },
    },
    get: {
      usage: 'shouyin merchants get ID',
      summary: "show one merchant and its API keys' prefixes",
      help: 'Never shows a secret: API keys by id and prefix only.',
      args: [1, 1],
      run: async (ctx) => {
        const res = await call(conn(ctx), 'GET', `/v1/admin/merchants/${merchantId(/** @type {string} */ (ctx.positionals[0]))}`);
        if (ctx.options.json) return json(ctx, res);
        showMerchant(ctx, res);
        return 0;
      },
    },
    delete: {
      usage: 'shouyin merchants delete ID --yes',
      summary: 'delete a merchant from the registry',
      help: 'Its API keys stop working at once. --yes is required: there is no undo.',
      options: { yes: 'boolean' },
      args: [1, 1],
      run: async (ctx) => {
        const id = /** @type {string} */ (ctx.positionals[0]);
        if (!ctx.options.yes) throw new UsageError(`Deleting ${id} cannot be undone: add --yes.`);
        const res = await call(conn(ctx), 'DELETE', `/v1/admin/merchants/${merchantId(id)}`);
        if (ctx.options.json) return json(ctx, res);
        ctx.io.out(`Deleted merchant ${res.id}.`);
        return 0;
      },
    },
  },
  providers: {
    set: {
      usage: 'shouyin providers set MERCHANT CHANNEL FILE [--pem FIELD=FILE]…',
      summary: "add or replace one channel's credentials",
      help: `CHANNEL is wechat_pay, alipay or unionpay; FILE is that channel's section of the merchant
(docs/configuration.md), JSON or YAML, with PEM files as { $file: PATH } (relative to FILE) or
--pem FIELD=PATH (relative to the current directory), e.g. --pem private_key=apiclient_key.pem.`,
      options: { pem: 'list' },
      args: [3, 3],
      run: async (ctx) => {
        const [merchant, channel, file] = /** @type {[string, string, string]} */ (ctx.positionals);
        channelArg(channel);
        const body = inputOf(ctx, file);
        const res = await call(conn(ctx), 'PUT', `/v1/admin/merchants/${merchantId(merchant)}/providers/${channel}`, body);
        if (ctx.options.json) return json(ctx, res);
        ctx.io.out(`Set ${channel} on ${merchantLine(res)}.`);
        return 0;
      },
    },
    remove: {
      usage: 'shouyin providers remove MERCHANT CHANNEL',
      summary: "remove one channel's credentials",
      help: 'The channel stops being offered at once; sessions already paid are unaffected.',
      args: [2, 2],
      run: async (ctx) => {
        const [merchant, channel] = /** @type {[string, string]} */ (ctx.positionals);
        channelArg(channel);
        const res = await call(conn(ctx), 'DELETE', `/v1/admin/merchants/${merchantId(merchant)}/providers/${channel}`);
        if (ctx.options.json) return json(ctx, res);
        ctx.io.out(`Removed ${channel} from ${merchantLine(res)}.`);
        return 0;
      },
    },
  },
  keys: {
    roll: {
      usage: 'shouyin keys roll MERCHANT [--overlap 24h]',
      summary: 'make a new API key; the previous ones expire after the overlap',
      help: `Prints the new key once. The merchant's previous keys keep working for --overlap (24h by
default; 30m, 7d, 90s, or 0 to revoke them at once), time to deploy the new key to the shop's server.`,
      options: { overlap: 'string' },
      args: [1, 1],
      run: async (ctx) => {
        const merchant = /** @type {string} */ (ctx.positionals[0]);
        const seconds = parseDuration(ctx.options.overlap ?? '24h', '--overlap');
        if (seconds > 30 * 86400) throw new UsageError('--overlap must be at most 30d.');
        const res = await call(conn(ctx), 'POST', `/v1/admin/merchants/${merchantId(merchant)}/api_keys`, { expire_previous_in: seconds });
        if (ctx.options.json) return json(ctx, res);
        showApiKey(ctx, res.api_key, `New API key ${res.id} of ${merchant}`);
        if (res.previous_expire_at === null || res.previous_expire_at === undefined) ctx.io.out('There was no previous key.');
        else if (seconds === 0) ctx.io.out('The previous keys were revoked at once.');
        else ctx.io.out(`The previous keys stop working at ${when(res.previous_expire_at)}.`);
        return 0;
      },
    },
    revoke: {
      usage: 'shouyin keys revoke MERCHANT KEY_ID',
      summary: 'revoke one API key at once',
      help: 'KEY_ID is the key_… id from `shouyin merchants get MERCHANT`.',
      args: [2, 2],
      run: async (ctx) => {
        const [merchant, keyId] = /** @type {[string, string]} */ (ctx.positionals);
        if (!/^key_[0-9A-Za-z]{1,64}$/.test(keyId)) throw new UsageError(`KEY_ID must be a key_… id (got ${JSON.stringify(keyId.slice(0, 40))}).`);
        const res = await call(conn(ctx), 'DELETE', `/v1/admin/merchants/${merchantId(merchant)}/api_keys/${keyId}`);
        if (ctx.options.json) return json(ctx, res);
        ctx.io.out(`Revoked ${res.id}.`);
        return 0;
      },
    },
  },
  'master-key': {
    rotate: {
      usage: 'shouyin master-key rotate',
      summary: 're-encrypt every stored secret under the active master key',
      help: `Run after putting the new key first in SHOUYIN_MASTER_KEY (new,old) and deploying; once it reports,
remove the old key from the secret. Runbook: docs/deploy.md#rotating-the-master-key.`,
      args: [0, 0],
      run: async (ctx) => {
        const res = await call(conn(ctx), 'POST', '/v1/admin/master_key/rotate');
        if (ctx.options.json) return json(ctx, res);
        ctx.io.out(`Re-encrypted ${res.re_encrypted} secret${res.re_encrypted === 1 ? '' : 's'} under master key ${res.key_id}.`);
        ctx.io.out('Every secret is now under that key: the older keys can leave SHOUYIN_MASTER_KEY.');
        return 0;
      },
    },
  },
  credentials: {
    expiring: {
      usage: 'shouyin credentials expiring [--days 30]',
      summary: 'certificates that expire within N days (expired ones included)',
      help: `WeChat Pay platform certificates, Alipay app/Alipay/root certificates, UnionPay root and middle
certificates and Apple roots, soonest first. The Worker also warns each merchant with a
merchant.credentials_expiring webhook 30, 7 and 1 days before (docs/webhooks.md).`,
      options: { days: 'string' },
      args: [0, 0],
      run: async (ctx) => {
        const days = ctx.options.days ?? '30';
        if (!/^\d{1,5}$/.test(days)) throw new UsageError(`--days must be a whole number of days (got ${JSON.stringify(days)}).`);
        const res = await call(conn(ctx), 'GET', `/v1/admin/credentials?expiring_within_days=${Number(days)}`);
        if (ctx.options.json) return json(ctx, res);
        if (res.data.length === 0) ctx.io.out(`No certificate expires within ${Number(days)} days.`);
        else showCredentials(ctx, res.data, false);
        return 0;
      },
    },
    list: {
      usage: 'shouyin credentials list',
      summary: 'every certificate with its expiry date',
      help: 'Also the credentials whose date the Worker cannot read (an mTLS binding, a .pfx), with where to look it up.',
      args: [0, 0],
      run: async (ctx) => {
        const res = await call(conn(ctx), 'GET', '/v1/admin/credentials');
        if (ctx.options.json) return json(ctx, res);
        if (res.data.length === 0) ctx.io.out('No certificates configured.');
        else showCredentials(ctx, res.data, true);
        return 0;
      },
    },
  },
};

/** @type {Record<string, Command>} */
const SINGLE = {
  check: {
    usage: 'shouyin check FILE [--pem FIELD=FILE]… [--remote]',
    summary: 'validate a merchant file or a SHOUYIN_CONFIG document; what each flow still needs',
    help: `Offline by default: the Worker's own parser (worker/src/config.ts), bundled with the esbuild that
wrangler installs; nothing leaves the machine. --remote (or no esbuild) asks the Worker: POST /v1/admin/check.
Errors name the field and never print a secret. Exit code 1 when the file is invalid.`,
    options: { pem: 'list', remote: 'boolean' },
    args: [1, 1],
    run: async (ctx) => {
      const file = /** @type {string} */ (ctx.positionals[0]);
      const doc = inputOf(ctx, file);
      const mod = ctx.options.remote ? null : await loadWorkerParser();
      const mode = mod ? 'offline' : 'remote';
      const res = mod ? checkOffline(mod, doc) : await call(conn(ctx), 'POST', '/v1/admin/check', doc);
      if (ctx.options.json) {
        json(ctx, { ...res, errors: res.errors.map((e) => ({ ...e, message: redact(e.message) })), mode });
        return res.ok ? 0 : 1;
      }
      if (!res.ok) {
        for (const e of res.errors) ctx.io.err(redact(`✘ ${basename(file)}: ${e.message}${e.message.startsWith(e.param) ? '' : ` (${e.param})`}`));
      } else {
        const what = isConfigDocument(doc) ? 'SHOUYIN_CONFIG document' : 'merchant';
        ctx.io.out(`✓ ${basename(file)}: a valid ${what} (${mode === 'offline' ? "checked offline by the Worker's parser" : 'checked by the Worker'}).`);
      }
      /** @type {string[][]} */
      const rows = [];
      for (const [merchant, channels] of Object.entries(res.flows ?? {})) {
        for (const [channel, flows] of Object.entries(/** @type {Record<string, Record<string, string>>} */ (channels))) {
          for (const [flow, status] of Object.entries(flows)) rows.push([merchant, channel, flow, status]);
        }
      }
      if (rows.length) {
        ctx.io.out('');
        ctx.io.out(table(['MERCHANT', 'CHANNEL', 'FLOW', 'STATUS'], rows));
      }
      return res.ok ? 0 : 1;
    },
  },
  import: {
    usage: 'shouyin import [FILE | --dev-vars [PATH]]',
    summary: 'move a SHOUYIN_CONFIG document into the registry',
    help: `FILE is a SHOUYIN_CONFIG document (JSON or YAML); --dev-vars reads SHOUYIN_CONFIG from a wrangler
.dev.vars file (./.dev.vars unless PATH is given). Secret keys are kept as hashes, so integrations keep
working. A registry entry wins over the same merchant left in SHOUYIN_CONFIG.`,
    options: { 'dev-vars': 'boolean' },
    args: [0, 1],
    run: async (ctx) => {
      const file = ctx.positionals[0];
      let doc;
      if (ctx.options['dev-vars']) doc = loadDevVarsConfig(file ?? '.dev.vars');
      else if (file === undefined) throw new UsageError('Give a SHOUYIN_CONFIG FILE or --dev-vars.');
      else doc = inputOf(ctx, file);
      if (!isConfigDocument(doc)) throw new InputError('That is not a SHOUYIN_CONFIG document: it has no "merchants" array.');
      const res = await call(conn(ctx), 'POST', '/v1/admin/import', doc);
      if (ctx.options.json) return json(ctx, res);
      ctx.io.out(`Imported ${res.imported.length} merchant${res.imported.length === 1 ? '' : 's'}: ${res.imported.join(', ') || '—'}.`);
      return 0;
    },
  },
  'dashboard-link': {
    usage: 'shouyin dashboard-link MERCHANT [--ttl 15m] [--email ADDRESS]',
    summary: "a one-time sign-in link to the merchant's dashboard",
    help: 'The link signs in once and expires after --ttl. Send it to the merchant over a channel you trust.',
    options: { ttl: 'string', email: 'string' },
    args: [1, 1],
    run: async (ctx) => {
      const merchant = /** @type {string} */ (ctx.positionals[0]);
      /** @type {Record<string, unknown>} */
      const body = {};
      if (ctx.options.ttl !== undefined) body.ttl_seconds = parseDuration(ctx.options.ttl, '--ttl');
      if (ctx.options.email !== undefined) body.email = ctx.options.email;
      const res = await call(conn(ctx), 'POST', `/v1/admin/merchants/${merchantId(merchant)}/dashboard_links`, body);
      if (ctx.options.json) return json(ctx, res);
      ctx.io.out(`One-time sign-in link for ${merchant}, valid until ${when(res.expires_at)}:`);
      ctx.io.out(`  ${res.url}`);
      return 0;
    },
  },
  keygen: {
    usage: 'shouyin keygen master-key [--kid ID] | admin-key',
    summary: 'print a fresh SHOUYIN_MASTER_KEY or admin key (offline)',
    help: `master-key: <kid>:<base64 of 32 random bytes>, the form SHOUYIN_MASTER_KEY takes; --kid names it
(default k<today>…). admin-key: sk_admin_ + 40 random letters and digits, for SHOUYIN_ADMIN_KEYS.
The value goes to stdout alone, so it can be piped: shouyin keygen admin-key | npx wrangler secret put SHOUYIN_ADMIN_KEYS`,
    options: { kid: 'string' },
    args: [1, 1],
    run: async (ctx) => {
      const what = ctx.positionals[0];
      if (what === 'master-key') {
        const kid = ctx.options.kid ?? `k${new Date().toISOString().slice(0, 10).replaceAll('-', '')}${randomBytes(2).toString('hex')}`;
        if (!/^[A-Za-z0-9_-]{1,32}$/.test(kid)) throw new UsageError('--kid must be 1–32 letters, digits, _ or -.');
        ctx.io.out(`${kid}:${randomBytes(32).toString('base64')}`);
      } else if (what === 'admin-key') {
        const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
        let key = 'sk_admin_';
        for (let i = 0; i < 40; i++) key += alphabet[randomInt(alphabet.length)];
        ctx.io.out(key);
      } else {
        throw new UsageError('keygen makes a master-key or an admin-key.');
      }
      return 0;
    },
  },
};

function overview() {
  const lines = ['shouyin: operate a Shouyin Worker (merchants, credentials, keys) through its admin API.', '', 'Commands:'];
  /** @type {[string, string][]} */
  const all = [];
  for (const group of Object.values(GROUPS)) for (const c of Object.values(group)) all.push([c.usage, c.summary]);
  for (const c of Object.values(SINGLE)) all.push([c.usage, c.summary]);
  const w = Math.max(...all.map(([u]) => u.length));
  for (const [u, s] of all) lines.push(`  ${u.padEnd(w)}  ${s}`);
  lines.push('', CONNECTION_HELP, '', 'Exit codes: 0 ok, 1 the Worker or an input file refused, 2 a usage error.');
  lines.push('`shouyin COMMAND --help` for one command. Guide: docs/deploy.md.');
  return lines.join('\n');
}

/** @param {Command} c */
const commandHelp = (c) => `Usage: ${c.usage}\n\n${c.summary[0]?.toUpperCase()}${c.summary.slice(1)}.\n\n${c.help}\n\n${CONNECTION_HELP}`;

/**
 * Runs one command line. Resolves with the exit code.
 * @param {string[]} argv
 * @param {Partial<Io>} [io]
 * @returns {Promise<number>}
 */
export async function main(argv, io = {}) {
  /** @type {Io} */
  const sys = {
    out: io.out ?? ((s) => process.stdout.write(`${s}\n`)),
    err: io.err ?? ((s) => process.stderr.write(`${s}\n`)),
    env: io.env ?? process.env,
    cwd: io.cwd ?? process.cwd(),
  };
  const wantsJson = argv.includes('--json');
  /** @type {Command | undefined} */
  let command;
  try {
    const [first, second] = argv;
    if (first === undefined || first === 'help' || first === '--help' || first === '-h') {
      sys.out(overview());
      return first === undefined ? 2 : 0;
    }
    let rest;
    if (first in GROUPS) {
      const group = /** @type {Record<string, Command>} */ (GROUPS[first]);
      if (second === undefined || second === '--help' || second === '-h') {
        sys.out(Object.values(group).map(commandHelp).join('\n\n'));
        return second === undefined ? 2 : 0;
      }
      command = group[second];
      if (!command) throw new UsageError(`Unknown command: shouyin ${first} ${second}. It takes ${Object.keys(group).join(', ')}.`);
      rest = argv.slice(2);
    } else {
      command = SINGLE[first];
      if (!command) throw new UsageError(`Unknown command: ${first}. Run shouyin --help.`);
      rest = argv.slice(1);
    }
    const { positionals, options } = parseArgs(rest, command.options ?? {});
    if (options.help) {
      sys.out(commandHelp(command));
      return 0;
    }
    const [min, max] = command.args;
    if (positionals.length < min || positionals.length > max) throw new UsageError(`Usage: ${command.usage}`);
    return await command.run({ positionals, options, io: sys });
  } catch (e) {
    if (e instanceof UsageError) {
      sys.err(e.message);
      if (command && !e.message.startsWith('Usage:')) sys.err(`Usage: ${command.usage}   (--help for more)`);
      return 2;
    }
    if (e instanceof ApiError) {
      if (wantsJson) sys.err(redact(JSON.stringify(e.body ?? { error: { message: e.message, status: e.status ?? null } })));
      else {
        const status = e.status ? `${[e.status, e.code].filter(Boolean).join(' ')}: ` : '';
        const param = e.param && !e.message.includes(e.param) ? ` (${e.param})` : '';
        sys.err(redact(`✘ ${status}${e.message}${param}`));
      }
      return 1;
    }
    if (e instanceof InputError) {
      sys.err(`✘ ${e.message}`);
      return 1;
    }
    sys.err(`✘ ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}
