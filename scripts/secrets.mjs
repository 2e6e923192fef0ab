// What a secret looks like to the repository's scans (SECURITY.md, "Secret canary scan"): private keys
// in any form, and the secrets the test fixtures hold, read from the fixture files' source text so a
// secret added there is scanned for without a second list to keep.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './lib.mjs';

/** A private key in PEM (any type), or a bare base64 one as Alipay hands them out (PKCS#8, PKCS#1, EC). */
export const PRIVATE_KEY = [
  /-----BEGIN ((RSA|EC|DSA|OPENSSH|ENCRYPTED) )?PRIVATE KEY-----[A-Za-z0-9+/=\s\\n'",]{100,}/,
  /ADANBgkqhkiG9w0BAQEFAASC[A-Za-z0-9+/=\s\\n]{100,}/,
  /MII[A-Za-z0-9+/]{3}IBAAK[A-Za-z0-9+/=\s\\n]{100,}/,
  /AgEAMBMGByqGSM49AgEGCCqGSM49AwEHB[A-Za-z0-9+/=\s\\n]{100,}/,
];

/** @param {string} text */
export const holdsPrivateKey = (text) => PRIVATE_KEY.some((re) => re.test(text));

/** The files that hold the test deployment's secrets (SHOUYIN_CONFIG, the registry's, the simulators'). */
export const FIXTURE_FILES = [
  'worker/test/fixtures/config.ts',
  'worker/test/fixtures/registry.ts',
  'worker/test/fixtures/unionpay-certs.ts',
  'worker/src/providers/alipay/fixtures/test-keys.ts',
];

/**
 * Four 40-character runs of a PEM private key's base64 body, each within one line, from the body's second
 * half (the first half holds the modulus, which the public key shares).
 * @param {string} body
 * @returns {string[]}
 */
function pemRuns(body) {
  const lines = body.split('\n').filter((l) => l !== '' && !l.startsWith('-----'));
  const total = lines.reduce((n, l) => n + l.length, 0);
  const runs = [];
  let offset = 0;
  for (const line of lines) {
    for (let i = 0; i + 40 <= line.length; i += 40) if (offset + i >= total / 2) runs.push(line.slice(i, i + 40));
    offset += line.length;
  }
  const step = Math.max(1, Math.floor(runs.length / 4));
  return [0, 1, 2, 3].map((k) => runs[k * step]).filter((r) => r !== undefined);
}

/**
 * Every secret in the fixture files, as [what, value]: API and admin keys, webhook secrets, the master
 * keys' bytes, WeChat Pay's APIv3 and APIv2 keys, the official account's appsecret, Apple's shared
 * secret, and runs of every private key.
 * @returns {[string, string][]}
 */
export function fixtureSecrets() {
  /** @type {[string, string][]} */
  const out = [];
  for (const rel of FIXTURE_FILES) {
    const text = readFileSync(join(ROOT, rel), 'utf8');
    for (const m of text.matchAll(/\b(sk_(?:test|live|admin)_[A-Za-z0-9]{16,})/g)) out.push([`${rel}: API key`, m[1]]);
    for (const m of text.matchAll(/\b(whsec_[A-Za-z0-9+/=]{16,})/g)) out.push([`${rel}: webhook secret`, m[1]]);
    for (const m of text.matchAll(/\b(apiv3_key|apiv2_key|mp_appsecret|appsecret|shared_secret): '([^']{16,})'/g)) out.push([`${rel}: ${m[1]}`, m[2]]);
    for (const m of text.matchAll(/'t\d+:([A-Za-z0-9+/=]{40,})'/g)) out.push([`${rel}: master key`, m[1]]);
    for (const m of text.matchAll(/export const (\w+) = `-----BEGIN (?:RSA |EC )?PRIVATE KEY-----\n([^`]+)`/g)) {
      for (const run of pemRuns(m[2])) out.push([`${rel}: ${m[1]}`, run]);
    }
  }
  return out;
}
