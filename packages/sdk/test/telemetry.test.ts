// OpenTelemetry spans and the `logger` option, against the reference server. Spans are captured by
// an in-memory exporter of the OpenTelemetry SDK; nothing secret may appear in any of them.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FetchLike, KmsClient, type KmsLogger } from '../src/index.js';
import { loadStartServer, type Provisioned, ReferenceServer } from './reference-server.js';

const run = promisify(execFile);
const startServer = await loadStartServer();
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
let server: ReferenceServer;
let env: Provisioned;
const clients: KmsClient[] = [];
const SECRETS = { DB_HOST: 'db.internal', DB_PASS: 'p4ss-w0rd-telemetry', API_KEY: 'sk_live_telemetry_9f8e' };

function client(extra: Partial<ConstructorParameters<typeof KmsClient>[0]> = {}) {
  const kms = new KmsClient({
    siteUrl: env.url,
    auth: { universalAuth: { clientId: env.clientId, clientSecret: env.clientSecret } },
    retry: { initialDelay: 10 },
    ...extra,
  });
  clients.push(kms);
  return kms;
}

const where = () => ({ projectId: env.projectId, environment: 'dev', secretPath: '/app' });
const spans = () => exporter.getFinishedSpans().filter((s) => s.name.startsWith('kms.'));
/** Everything a span carries, as text: what must never hold a secret. */
const dump = (list: ReadableSpan[]) =>
  JSON.stringify(
    list.map((s) => ({ name: s.name, attributes: s.attributes, events: s.events, status: s.status })),
  );

function expectNothingSecret(text: string) {
  for (const value of [...Object.values(SECRETS), env.clientSecret]) expect(text).not.toContain(value);
  expect(text).not.toMatch(/eyJ[\w-]+\.[\w-]+\./); // no JWT
  expect(text).not.toContain('DB_PASS'); // nor a secret's name
}

beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  server = await ReferenceServer.start(startServer);
  env = await server.provision({ role: 'member' }, SECRETS);
});
afterEach(() => exporter.reset());
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await server?.close();
  trace.disable();
  context.disable();
});

describe('OpenTelemetry spans', () => {
  it('one CLIENT span per call with status, attempts, request id and counts, and nothing secret', async () => {
    const kms = client();
    await kms.secrets.list(where());
    const [span] = spans();
    expect(span?.name).toBe('kms.secrets.list');
    expect(span?.kind).toBe(SpanKind.CLIENT);
    expect(span?.status.code).toBe(SpanStatusCode.OK);
    expect(span?.attributes).toMatchObject({
      'kms.operation': 'secrets.list',
      'http.request.method': 'GET',
      'server.address': '127.0.0.1',
      'http.response.status_code': 200,
      'kms.attempts': 1,
      'kms.retry_count': 0,
      'kms.secrets.count': 3,
    });
    expect(span?.attributes['kms.request_id']).toMatch(/^req-/);
    expect(span?.events.map((e) => e.name)).toEqual(['kms.attempt']);
    expectNothingSecret(dump(spans()));
  });

  it('nests under the caller’s active span, and write and KMS operations are named after the call', async () => {
    const kms = client();
    const tracer = trace.getTracer('app');
    await tracer.startActiveSpan('handle request', async (parent) => {
      await kms.secrets.create({
        ...where(),
        secretPath: '/',
        secretName: 'NEW_ONE',
        secretValue: 'v-created-secretly',
      });
      await kms.folders.list({ projectId: env.projectId, environment: 'dev' });
      parent.end();
    });
    const names = spans().map((s) => s.name);
    expect(names).toEqual(['kms.secrets.create', 'kms.folders.list']);
    const parent = exporter.getFinishedSpans().find((s) => s.name === 'handle request');
    for (const s of spans()) expect(s.parentSpanContext?.spanId).toBe(parent?.spanContext().spanId);
    expect(dump(spans())).not.toContain('v-created-secretly');
    expect(dump(spans())).not.toContain('NEW_ONE');
  });

  it('records cache hits, revalidations and stale answers', async () => {
    let down = false;
    const fetchThrough: FetchLike = (url, init) =>
      down
        ? Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))
        : fetch(url, init);
    const kms = client({ cache: { ttl: 50, staleIfError: true }, fetch: fetchThrough, retry: false });
    await kms.secrets.list(where());
    await kms.secrets.list(where());
    await new Promise((r) => setTimeout(r, 60));
    await kms.secrets.list(where());
    await new Promise((r) => setTimeout(r, 60));
    down = true;
    const stale = await kms.secrets.list(where());
    expect(stale.stale).toBe(true);
    expect(spans().map((s) => s.attributes['kms.cache'])).toEqual(['miss', 'hit', 'revalidated', 'stale']);
    expect(spans()[1]?.attributes['kms.attempts']).toBe(0);
    expect(spans()[3]?.attributes['error.type']).toBe('KmsConnectionError');
  });

  it('an attempt event per retry with its wait; a failed call has ERROR status and the error class only', async () => {
    let failures = 1;
    const flaky: FetchLike = (url, init) =>
      url.includes('/secrets/') && failures-- > 0
        ? Promise.reject(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))
        : fetch(url, init);
    const kms = client({ fetch: flaky });
    await kms.secrets.list(where());
    const listed = spans().find((s) => s.name === 'kms.secrets.list');
    expect(listed?.attributes).toMatchObject({ 'kms.attempts': 2, 'kms.retry_count': 1 });
    expect(listed?.events[0]?.attributes).toMatchObject({
      'kms.attempt': 1,
      'error.type': 'KmsConnectionError',
    });
    expect(listed?.events[0]?.attributes?.['kms.retry_delay_ms']).toEqual(expect.any(Number));

    exporter.reset();
    await expect(kms.secrets.retrieve({ ...where(), secretName: 'DB_PASS_MISSING' })).rejects.toThrow();
    const [failed] = spans();
    expect(failed?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'KmsNotFoundError' });
    expect(failed?.attributes).toMatchObject({
      'error.type': 'KmsNotFoundError',
      'http.response.status_code': 404,
    });
    expect(dump(spans())).not.toContain('DB_PASS_MISSING');
  });

  it('tracing: false turns the spans off', async () => {
    await client({ tracing: false }).secrets.list(where());
    expect(spans()).toEqual([]);
  });
});

describe('the logger option', () => {
  it('one debug line per call, info for logins, warn for retries; no value, token or credential', async () => {
    const lines: [string, string, Record<string, unknown>][] = [];
    const logger: KmsLogger = {
      debug: (m, f) => lines.push(['debug', m, f]),
      info: (m, f) => lines.push(['info', m, f]),
      warn: (m, f) => lines.push(['warn', m, f]),
    };
    let failures = 1;
    const flaky: FetchLike = (url, init) =>
      url.includes('/secrets/') && failures-- > 0
        ? Promise.reject(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))
        : fetch(url, init);
    const kms = client({ logger, tracing: false, fetch: flaky });
    await kms.secrets.list(where());
    expect(lines.map(([level, message]) => `${level} ${message}`)).toEqual([
      'info kms.auth.login',
      'warn kms.secrets.list: retrying',
      'debug kms.secrets.list ok',
    ]);
    expect(lines[2]?.[2]).toMatchObject({
      operation: 'kms.secrets.list',
      'kms.attempts': 2,
      'kms.secrets.count': 3,
      durationMs: expect.any(Number),
    });
    expectNothingSecret(JSON.stringify(lines));
  });

  it('is checked like every option', () => {
    expect(() => client({ logger: { debug: 'yes' } as unknown as KmsLogger })).toThrow(/Invalid logger/);
  });
});

describe('docs/observability.md', () => {
  it('the console exporter example runs as written against kms-server dev', async () => {
    const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
    const guide = readFileSync(join(repo, 'docs', 'observability.md'), 'utf8');
    const code = /<!-- console-exporter-example -->\s*```ts\n([\s\S]*?)```/.exec(guide)?.[1];
    expect(code).toBeTruthy();
    const dir = mkdtempSync(join(tmpdir(), 'kms-otel-doc-'));
    // Written inside this package so its imports resolve as in an app that installed them.
    const script = join(
      dirname(fileURLToPath(import.meta.url)),
      'fixtures',
      'telemetry',
      'docs-example.generated.mjs',
    );
    writeFileSync(script, code as string);
    const dev = spawn(
      process.execPath,
      [join(repo, 'reference-server', 'dist', 'cli.js'), 'dev', '--port', '0', '--data-dir', dir],
      {
        env: { PATH: process.env.PATH },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    try {
      let printed = '';
      await new Promise<void>((resolve, reject) => {
        dev.stdout.on('data', (chunk: Buffer) => {
          printed += String(chunk);
          if (/KMS_SECRET_PATH=\S+\n/.test(printed)) resolve();
        });
        dev.once('exit', (code) => reject(new Error(`kms-server dev exited with ${code}: ${printed}`)));
      });
      const lines = Object.fromEntries(
        [...printed.matchAll(/^\s+(KMS_[A-Z_]+)=(\S+)$/gm)].map((m) => [m[1], m[2]]),
      );
      const { stdout } = await run(process.execPath, [script], {
        env: {
          PATH: process.env.PATH,
          KMS_SITE_URL: lines.KMS_SITE_URL,
          KMS_CLIENT_ID: lines.KMS_CLIENT_ID,
          KMS_CLIENT_SECRET: lines.KMS_CLIENT_SECRET,
        },
      });
      expect(stdout).toContain("name: 'kms.secrets.list'");
      expect(stdout).toContain("'kms.secrets.count': 6");
      expect(stdout).not.toContain(lines.KMS_CLIENT_SECRET as string);
    } finally {
      dev.kill('SIGTERM');
      rmSync(script, { force: true });
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe('without a tracer provider', () => {
  it('never imports @opentelemetry/api', async () => {
    const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'telemetry');
    const { stdout } = await run(
      process.execPath,
      ['--import', join(fixtures, 'forbid-otel.mjs'), join(fixtures, 'list-without-otel.mjs')],
      {
        env: {
          PATH: process.env.PATH,
          KMS_TEST_SITE: env.url,
          KMS_TEST_CLIENT_ID: env.clientId,
          KMS_TEST_CLIENT_SECRET: env.clientSecret,
          KMS_TEST_PROJECT: env.projectId,
        },
      },
    );
    expect(stdout.trim()).toBe('listed 3');
    // (The fixture lists /app, which the tests above leave at three secrets.)
  });
});
