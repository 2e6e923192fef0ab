// The other-language examples in docs/examples, run where their toolchain is installed:
// - Python (python3): creating a session against a loopback server that records the request, and the
//   webhook verifier against signatures made by the Worker's own signer
//   (worker/src/webhooks/standard-webhooks.ts). The `standardwebhooks` PyPI package is not assumed:
//   `verify_webhook_stdlib` (hmac/hashlib/base64) is always run, and `verify_webhook` runs whichever
//   of the two the machine has.
// - Java (javac + java): CreateSession.java and StdlibWebhookVerifier.java compiled and run the same way.
//   WebhookController.java needs Spring and the com.standardwebhooks jar from Maven and is not compiled here.
// A missing toolchain skips its block and says so in the test name.

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookHeaders } from '../../../worker/src/webhooks/standard-webhooks.js';

const EXAMPLES = resolve(import.meta.dirname, '../../../docs/examples');
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const OTHER = 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD';
const SK = 'sk_test_4eC39HqLyjWDarjtT1zdp7dc';

const has = (cmd: string, ...args: string[]) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const PYTHON = has('python3', '--version');
const JAVA = has('javac', '-version') && has('java', '-version');

function run(cmd: string, args: string[], input = '', cwd?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const p = spawn(cmd, args, { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', fail);
    p.on('close', (code) => done({ code, stdout, stderr }));
    p.stdin.end(input);
  });
}

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A loopback stand-in for Shouyin's POST /v1/checkout/sessions: records each request, answers from `answers`. */
async function fakeShouyin(answers: { status: number; body: unknown }[]): Promise<{ base: string; received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const a = answers.shift() ?? { status: 500, body: { error: { type: 'api_error', code: 'internal_error', message: 'no answer scripted' } } };
      res.writeHead(a.status, { 'content-type': 'application/json' }).end(JSON.stringify(a.body));
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return { base: `http://127.0.0.1:${port}`, received, close: () => new Promise((ok) => server.close(() => ok())) };
}

const session = { id: 'cs_aaaaaaaaaaaaaaaaaaaaaaaa', object: 'checkout.session', status: 'open', client_secret: 'cs_aaaaaaaaaaaaaaaaaaaaaaaa_secret_x' };
const conflict = { error: { type: 'conflict_error', code: 'merchant_order_id_in_use', message: 'taken', param: 'merchant_order_id' } };

function expectCreateRequest(r: Received | undefined, orderId: string, key: string) {
  expect(r).toBeDefined();
  expect(r!.method).toBe('POST');
  expect(r!.url).toBe('/v1/checkout/sessions');
  expect(r!.headers.authorization).toBe(`Bearer ${SK}`);
  expect(r!.headers['content-type']).toMatch(/^application\/json/);
  expect(r!.headers['idempotency-key']).toBe(key);
  expect(JSON.parse(r!.body)).toEqual({ amount: 8888, currency: 'CNY', description: '机械键盘 Mechanical keyboard', merchant_order_id: orderId });
}

interface WebhookCase {
  name: string;
  secret: string;
  headers: Record<string, string>;
  body: string;
  want: 'ok' | 'error';
}

/** Webhooks as the Worker signs them, and the ways they go wrong. */
async function webhookCases(): Promise<WebhookCase[]> {
  const now = Math.floor(Date.now() / 1000);
  const body = JSON.stringify({
    id: 'evt_aaaaaaaaaaaaaaaaaaaaaaaa',
    type: 'checkout.session.paid',
    created: now,
    livemode: false,
    data: { object: { ...session, status: 'paid', description: '机械键盘 “引号” \\ 反斜杠', merchant_order_id: '1001', amount: 8888 } },
  });
  const id = 'evt_aaaaaaaaaaaaaaaaaaaaaaaa';
  const signed = await webhookHeaders(SECRET, id, now, body);
  const byOther = await webhookHeaders(OTHER, id, now, body);
  const titleCase = Object.fromEntries(Object.entries(signed).map(([k, v]) => [k.replace(/(^|-)([a-z])/g, (_m, d, c) => d + c.toUpperCase()), v]));
  const { 'webhook-signature': _sig, ...unsigned } = signed;
  return [
    { name: 'valid', secret: SECRET, headers: signed, body, want: 'ok' },
    { name: 'header names in Title-Case', secret: SECRET, headers: titleCase, body, want: 'ok' },
    {
      name: 'rotation: another signature first',
      secret: SECRET,
      headers: { ...signed, 'webhook-signature': `${byOther['webhook-signature']} ${signed['webhook-signature']}` },
      body,
      want: 'ok',
    },
    { name: 'tampered body', secret: SECRET, headers: signed, body: body.replace('8888', '1'), want: 'error' },
    { name: 'another secret', secret: OTHER, headers: signed, body, want: 'error' },
    { name: 'expired (10 minutes old)', secret: SECRET, headers: await webhookHeaders(SECRET, id, now - 600, body), body, want: 'error' },
    { name: 'from the future (10 minutes)', secret: SECRET, headers: await webhookHeaders(SECRET, id, now + 600, body), body, want: 'error' },
    { name: 'no signature header', secret: SECRET, headers: unsigned, body, want: 'error' },
    {
      name: 'only another scheme',
      secret: SECRET,
      headers: { ...signed, 'webhook-signature': signed['webhook-signature']!.replace('v1,', 'v1a,') },
      body,
      want: 'error',
    },
  ];
}

describe.skipIf(!PYTHON)(`Python example (docs/examples/python)${PYTHON ? '' : ' — skipped: python3 is not installed'}`, () => {
  const driver = (code: string) => `import json, sys\nsys.path.insert(0, ${JSON.stringify(join(EXAMPLES, 'python'))})\nimport shouyin_example as ex\n${code}`;

  it('creates a session with plain HTTP: secret key, JSON body, the order’s Idempotency-Key; a 409 raises with its code', async () => {
    const server = await fakeShouyin([
      { status: 201, body: session },
      { status: 409, body: conflict },
    ]);
    try {
      const script = driver(`base = sys.argv[1]
s = ex.create_session(base, "${SK}", 8888, "机械键盘 Mechanical keyboard", "1001", idempotency_key="order-1001")
print(s["id"])
try:
    ex.create_session(base, "${SK}", 8888, "机械键盘 Mechanical keyboard", "1001", idempotency_key="order-1001-b")
except ex.ShouyinAPIError as e:
    print(e.status, e.error["code"], e.error["param"])`);
      const out = await run('python3', ['-c', script, server.base]);
      expect(out.stderr).toBe('');
      expect(out.stdout.trim().split('\n')).toEqual([session.id, '409 merchant_order_id_in_use merchant_order_id']);
      expectCreateRequest(server.received[0], '1001', 'order-1001');
      expect(server.received[1]!.headers['idempotency-key']).toBe('order-1001-b');
    } finally {
      await server.close();
    }
  });

  it('verifies webhooks the Worker signed, with the stdlib verifier and with verify_webhook', async () => {
    const cases = await webhookCases();
    const script = driver(`out = []
for c in json.load(sys.stdin):
    row = []
    for verify in (ex.verify_webhook_stdlib, ex.verify_webhook):
        try:
            event = verify(c["secret"], c["headers"], c["body"].encode("utf-8"))
            row.append("ok" if event["type"] == "checkout.session.paid" and event["data"]["object"]["amount"] == 8888 else "wrong event")
        except ex.WebhookVerificationError:
            row.append("error")
    out.append(row)
print(json.dumps(out))`);
    const out = await run('python3', ['-c', script], JSON.stringify(cases));
    expect(out.stderr).toBe('');
    const results = JSON.parse(out.stdout) as string[][];
    expect(Object.fromEntries(cases.map((c, i) => [c.name, results[i]]))).toEqual(Object.fromEntries(cases.map((c) => [c.name, [c.want, c.want]])));
  });

  it('handles each event id once', async () => {
    const script = driver(`seen = set()
e = {"id": "evt_1", "type": "checkout.session.paid", "data": {"object": {"merchant_order_id": "1001", "amount": 8888}}}
print(ex.handle_event(e, seen)); print(ex.handle_event(e, seen))`);
    const out = await run('python3', ['-c', script]);
    expect(out.stdout.trim().split('\n')).toEqual(['fulfil order 1001: 8888 fen paid', 'duplicate']);
  });
});

describe.skipIf(!JAVA)(`Java examples (docs/examples/java)${JAVA ? '' : ' — skipped: javac/java are not installed'}`, () => {
  let classes: string;
  beforeAll(async () => {
    classes = mkdtempSync(join(tmpdir(), 'shouyin-java-'));
    // A test driver beside the two examples: verify cases from stdin (tab-separated), or create a session.
    writeFileSync(
      join(classes, 'ExampleDriver.java'),
      `import java.nio.charset.StandardCharsets;
import java.util.*;
public final class ExampleDriver {
  public static void main(String[] args) throws Exception {
    if (args[0].equals("create")) {
      System.out.println(CreateSession.create(args[1], args[2], 8888, "机械键盘 Mechanical keyboard", "1001", "order-1001"));
      try {
        CreateSession.create(args[1], args[2], 8888, "机械键盘 Mechanical keyboard", "1001", "order-1001-b");
      } catch (CreateSession.ShouyinApiException e) {
        System.out.println(e.status);
      }
      return;
    }
    Scanner in = new Scanner(System.in, StandardCharsets.UTF_8);
    while (in.hasNextLine()) {
      String[] f = in.nextLine().split("\\t", -1);
      Map<String, List<String>> headers = new HashMap<>();
      for (int i = 2; i + 1 < f.length; i += 2) headers.put(f[i], List.of(f[i + 1]));
      byte[] body = Base64.getDecoder().decode(f[1]);
      try {
        String json = StdlibWebhookVerifier.verify(f[0], headers, body);
        System.out.println(json.contains("\\"amount\\":8888") ? "ok" : "wrong event");
      } catch (StdlibWebhookVerifier.VerificationException e) {
        System.out.println("error");
      }
    }
  }
}
`,
    );
    const javac = await run('javac', [
      '-encoding',
      'UTF-8',
      '-d',
      classes,
      join(EXAMPLES, 'java/CreateSession.java'),
      join(EXAMPLES, 'java/StdlibWebhookVerifier.java'),
      join(classes, 'ExampleDriver.java'),
    ]);
    expect(javac.stderr).toBe('');
    expect(javac.code).toBe(0);
  }, 120_000);
  afterAll(() => rmSync(classes, { recursive: true, force: true }));

  it('CreateSession posts the session with the secret key and the order’s Idempotency-Key', async () => {
    const server = await fakeShouyin([
      { status: 201, body: session },
      { status: 409, body: conflict },
    ]);
    try {
      const out = await run('java', ['-Dstdout.encoding=UTF-8', '-cp', classes, 'ExampleDriver', 'create', server.base, SK]);
      expect(out.stderr).toBe('');
      const [first, second] = out.stdout.trim().split('\n');
      expect(JSON.parse(first!)).toEqual(session);
      expect(second).toBe('409');
      expectCreateRequest(server.received[0], '1001', 'order-1001');
    } finally {
      await server.close();
    }
  }, 60_000);

  it('StdlibWebhookVerifier accepts what the Worker signed and refuses the rest', async () => {
    const cases = await webhookCases();
    const lines = cases.map((c) => [c.secret, Buffer.from(c.body).toString('base64'), ...Object.entries(c.headers).flat()].join('\t')).join('\n');
    const out = await run('java', ['-cp', classes, 'ExampleDriver', 'verify'], `${lines}\n`);
    expect(out.stderr).toBe('');
    const results = out.stdout.trim().split('\n');
    expect(Object.fromEntries(cases.map((c, i) => [c.name, results[i]]))).toEqual(Object.fromEntries(cases.map((c) => [c.name, c.want])));
  }, 60_000);
});
