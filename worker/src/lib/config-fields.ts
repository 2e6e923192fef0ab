// Field readers for configuration documents: every error names the field's path
// (`merchants[0].providers.alipay.app_id`) and never echoes a secret's bytes. The merchant config
// parser and each provider's own config parser use these.

import { ErrorType, ShouyinError } from './errors';

/** A config problem, named by its path (`merchants[0].providers.alipay.app_id`). Provider config modules reuse it. */
export class ConfigError extends ShouyinError {
  /** `source` names the document or variable in the message (`SHOUYIN_CONFIG merchants[0].name is missing.`). */
  constructor(
    readonly path: string,
    readonly problem: string,
    source = 'SHOUYIN_CONFIG',
  ) {
    super(ErrorType.configuration, 'config_invalid', `${source} ${path} ${problem}`, path);
  }
}

export type Obj = Record<string, unknown>;

/** `path.key`, or `key` alone at the top of a document (an admin API body is one merchant entry). */
export const fieldPath = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function obj(v: unknown, path: string): Obj {
  if (!isObj(v)) throw new ConfigError(path, 'must be an object.');
  return v;
}

export function onlyKeys(o: Obj, path: string, allowed: readonly string[]): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) throw new ConfigError(fieldPath(path, k), 'is not a known field.');
  }
}

export function str(o: Obj, key: string, path: string, opts: { optional: true; secret?: boolean; pattern?: RegExp; hint?: string }): string | undefined;
export function str(o: Obj, key: string, path: string, opts?: { optional?: false; secret?: boolean; pattern?: RegExp; hint?: string }): string;
export function str(
  o: Obj,
  key: string,
  path: string,
  opts: { optional?: boolean; secret?: boolean; pattern?: RegExp; hint?: string } = {},
): string | undefined {
  const p = fieldPath(path, key);
  const v = o[key];
  if (v === undefined || v === null) {
    if (opts.optional) return undefined;
    throw new ConfigError(p, 'is missing.');
  }
  if (typeof v !== 'string' || v.length === 0) throw new ConfigError(p, 'must be a non-empty string.');
  if (opts.pattern && !opts.pattern.test(v)) {
    // Never echo a secret's bytes; for public values the value helps, unless what was pasted looks like
    // key material (a private key in a public field is the usual mistake): then only its length.
    const keyLike = /-----BEGIN|PRIVATE KEY|^[A-Za-z0-9+/=_-]{40,}$/.test(v);
    const shown = opts.secret
      ? ''
      : keyLike
        ? ` (got ${v.length} characters that look like key material; not shown)`
        : ` (got ${JSON.stringify(v.slice(0, 60))})`;
    throw new ConfigError(p, `${opts.hint ?? `must match ${opts.pattern}`}${shown}.`);
  }
  return v;
}

export function url(o: Obj, key: string, path: string, optional: boolean, requireHttps: boolean): string | undefined {
  const v = optional ? str(o, key, path, { optional: true }) : str(o, key, path);
  if (v === undefined) return undefined;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new ConfigError(fieldPath(path, key), `must be an absolute URL (got ${JSON.stringify(v)}).`);
  }
  if (u.protocol !== 'https:' && (requireHttps || u.protocol !== 'http:')) {
    throw new ConfigError(fieldPath(path, key), `must be an ${requireHttps ? 'https' : 'http(s)'} URL (got ${JSON.stringify(v)}).`);
  }
  return v.replace(/\/+$/, '');
}

export const PEM = (label: string): RegExp => new RegExp(`-----BEGIN ${label}-----[\\s\\S]+-----END ${label}-----`);
export const PRIVATE_KEY_PEM = /-----BEGIN (RSA )?PRIVATE KEY-----[\s\S]+-----END (RSA )?PRIVATE KEY-----/;
