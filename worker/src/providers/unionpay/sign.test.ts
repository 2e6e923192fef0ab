// signMethod 01 (https://open.unionpay.com/tjweb/acproduct/list?apiSvcId=448) against the unionpay_* vectors, and the
// sign/verify twins.
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../crypto/digest';
import { importRsaPrivateKey, importRsaPublicKey, rsaSign, rsaVerify } from '../../crypto/rsa';
import { VerificationError } from '../../lib/errors';
import { MERCHANT_PRIVATE_KEY } from '../../../test/fixtures/config';
import {
  FORGER_KEY,
  UNIONPAY_MIDDLE_CERT,
  UNIONPAY_ROOT_CERT,
  UNIONPAY_SANDBOX_SIGN_CERT,
  UNIONPAY_SANDBOX_SIGN_KEY,
} from '../../../test/fixtures/unionpay-certs';
import vectors from './fixtures/vectors.json';
import { crlfPem, digestHex, filterBlank, signAsUnionpay, signFields, signingString, verifyFieldsSignature, verifyUnionpayFields } from './sign';
import { encodeForm, parseForm, parseRawResponse, formatRawResponse, type Fields } from './wire';

const notify = vectors.unionpay_acp_510_backurl_notify;
const derived = vectors.unionpay_derived;
const fromSorted = (s: string): Fields => Object.fromEntries(s.split('&').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));

describe('unionpay_acp_510_backurl_notify (a real 5.1.0 test-environment notify)', () => {
  const fields = notify.fields as Fields;

  it('hashes the sorted string of every field but signature, CRLFs and Chinese included', async () => {
    expect(signingString(fields)).toContain('signPubKeyCert=-----BEGIN CERTIFICATE-----\r\nMIIEQzCC');
    expect(signingString(fields)).toContain('respMsg=成功[0000000]');
    expect(signingString(fields)).not.toContain('signature=');
    expect(await digestHex(fields)).toBe(notify.sha256_hex_of_sorted_string);
  });

  it('verifies with the key of its signPubKeyCert over the LOWERCASE hex digest', async () => {
    const key = await importRsaPublicKey(fields.signPubKeyCert!);
    expect(await verifyFieldsSignature(fields, key)).toBe(true);
    // Uppercase hex is a different message: it must not verify
    // (https://open.unionpay.com/tjweb/acproduct/list?apiSvcId=448).
    expect(await rsaVerify(key, (await digestHex(fields)).toUpperCase(), fields.signature!)).toBe(false);
  });

  it('fails once the CRLFs in signPubKeyCert are normalised to LF', async () => {
    const key = await importRsaPublicKey(fields.signPubKeyCert!);
    const lf = { ...fields, signPubKeyCert: fields.signPubKeyCert!.replace(/\r\n/g, '\n') };
    expect(await verifyFieldsSignature(lf, key)).toBe(false);
  });

  it('fails when any single value changes', async () => {
    const key = await importRsaPublicKey(fields.signPubKeyCert!);
    for (const [k, v] of [
      ['txnAmt', '137'],
      ['orderId', '201807251037450000267625'],
      ['respCode', '01'],
      ['merId', '700000000000002'],
    ] as const) {
      expect(await verifyFieldsSignature({ ...fields, [k]: v }, key), k).toBe(false);
    }
    // An empty field the sender did not sign also breaks it: verification counts every received field.
    expect(await verifyFieldsSignature({ ...fields, reqReserved: '' }, key)).toBe(false);
  });

  it('survives the form round trip a notify takes (encode → decode once)', async () => {
    const key = await importRsaPublicKey(fields.signPubKeyCert!);
    expect(await verifyFieldsSignature(parseForm(encodeForm(fields)), key)).toBe(true);
  });

  it('survives the raw k=v& round trip a sync answer takes', async () => {
    const key = await importRsaPublicKey(fields.signPubKeyCert!);
    expect(await verifyFieldsSignature(parseRawResponse(formatRawResponse(fields)), key)).toBe(true);
  });
});

describe('unionpay_derived (the rule applied to a request, with a published test key)', () => {
  const fields = fromSorted(derived.sorted_string);

  it('builds the sorted string and its lowercase hex digest', async () => {
    expect(signingString(fields)).toBe(derived.sorted_string);
    expect(await digestHex(fields)).toBe(derived.sha256_hex);
  });

  it('signs RSA-SHA256 over the hex text: the signature matches byte for byte', async () => {
    const signed = await signFields(fields, MERCHANT_PRIVATE_KEY);
    expect(signed.signature).toBe(derived.signMethod01_signature_with_wechat_test_key);
  });

  it('signMethod 11 (secureKey) is sha256hex(string & sha256hex(key)); Shouyin signs with certificates only', async () => {
    // Not implemented by the provider: recomputed here only to pin the rule the vector records.
    const s11 = await sha256Hex(`${signingString(fields)}&${await sha256Hex(derived.signMethod11.secureKey)}`);
    expect(s11).toBe(derived.signMethod11.signature);
  });
});

describe('signFields / verifyFieldsSignature (the twins)', () => {
  it('drops blank fields before signing (filterBlank) and never signs an old signature', async () => {
    const signed = await signFields({ a: '1', blank: '', signature: 'stale', b: '2' }, MERCHANT_PRIVATE_KEY);
    expect(Object.keys(signed).sort()).toEqual(['a', 'b', 'signature']);
    expect(filterBlank({ a: '', b: 'x' })).toEqual({ b: 'x' });
    const pub = await importRsaPublicKey(await publicPemOf(MERCHANT_PRIVATE_KEY));
    expect(await verifyFieldsSignature(signed, pub)).toBe(true);
  });

  it('base64 of RSA over the digest text, not over the string itself', async () => {
    const f = { merId: '777290058110048', orderId: 'ABCDEFGH1' };
    const signed = await signFields(f, MERCHANT_PRIVATE_KEY);
    const key = await importRsaPrivateKey(MERCHANT_PRIVATE_KEY);
    expect(signed.signature).toBe(await rsaSign(key, await digestHex(f)));
    expect(signed.signature).not.toBe(await rsaSign(key, signingString(f)));
  });
});

describe('verifyUnionpayFields (UnionPay → merchant)', () => {
  const chain = { rootCert: UNIONPAY_ROOT_CERT, middleCert: UNIONPAY_MIDDLE_CERT, now: Date.UTC(2026, 5, 1), testMode: true };
  const base: Fields = {
    version: '5.1.0',
    encoding: 'UTF-8',
    signMethod: '01',
    merId: '777290058110048',
    orderId: 'ABCDEFGH1',
    txnAmt: '8888',
    respCode: '00',
  };
  const signer = { sign_key: UNIONPAY_SANDBOX_SIGN_KEY, sign_cert: UNIONPAY_SANDBOX_SIGN_CERT };
  const code = async (p: Promise<unknown>) =>
    p.then(
      () => 'ok',
      (e: unknown) => (e instanceof VerificationError ? e.code : String(e)),
    );

  it('accepts what the sandbox signs, with signPubKeyCert in CRLF form', async () => {
    const signed = await signAsUnionpay(base, signer);
    expect(signed.signPubKeyCert).toBe(crlfPem(UNIONPAY_SANDBOX_SIGN_CERT));
    expect(signed.signPubKeyCert).toMatch(/-----\r\nMII/);
    expect(await code(verifyUnionpayFields(signed, chain))).toBe('ok');
  });

  it('refuses a missing signature, a wrong version or signMethod, a missing certificate', async () => {
    const signed = await signAsUnionpay(base, signer);
    expect(await code(verifyUnionpayFields({ ...signed, signature: '' }, chain))).toBe('missing_signature');
    expect(await code(verifyUnionpayFields({ ...signed, version: '5.0.0' }, chain))).toBe('unsupported_sign_method');
    expect(await code(verifyUnionpayFields({ ...signed, signMethod: '11' }, chain))).toBe('unsupported_sign_method');
    const { signPubKeyCert: _, ...noCert } = signed;
    expect(await code(verifyUnionpayFields(noCert, chain))).toBe('missing_certificate');
  });

  it('refuses a tampered field, and the LF-normalised certificate', async () => {
    const signed = await signAsUnionpay(base, signer);
    expect(await code(verifyUnionpayFields({ ...signed, txnAmt: '1' }, chain))).toBe('bad_signature');
    expect(await code(verifyUnionpayFields({ ...signed, signPubKeyCert: signed.signPubKeyCert!.replace(/\r\n/g, '\n') }, chain))).toBe('bad_signature');
  });

  it('refuses a message signed with another key under the sandbox certificate', async () => {
    const forged = await signAsUnionpay(base, { sign_key: FORGER_KEY, sign_cert: UNIONPAY_SANDBOX_SIGN_CERT });
    expect(await code(verifyUnionpayFields(forged, chain))).toBe('bad_signature');
  });
});

async function publicPemOf(privatePem: string): Promise<string> {
  const { publicKeyFromPrivate, exportPublicKeyPem } = await import('../../crypto/rsa');
  return exportPublicKeyPem(await publicKeyFromPrivate(privatePem));
}
