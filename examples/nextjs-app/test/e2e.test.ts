/**
 * End to end: one `next build` (with KMS unreachable: nothing is fetched at build), then `next start`
 * against a reference server, requests to a server component, a route handler behind proxy.ts and a
 * server action, the leak check on the build, and a start with KMS unreachable that must fail fast.
 * (The edge-safe read path is tested in packages/nextjs/test/edge-safe.test.ts: Next 16 deprecates
 * the Edge Runtime, so this app no longer uses it.)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type KmsTestServer, startKmsDevServer, startKmsTestServer } from '@hanzo/kms-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const appDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const nextBin = join(appDir, 'node_modules/next/dist/bin/next');
const checkBin = join(appDir, 'node_modules/@hanzo/kms-nextjs/dist/cli.js');

const SECRETS = {
  GREETING: 'hello from kms',
  API_KEY: 'sk_live_4f9c2e7a1b3d5f60',
  SIGNING_KEY: 'signing-key-8d7e6f5a4b3c2d1e',
};

let kms: KmsTestServer;
let server: ChildProcess | undefined;
let baseUrl = '';
let serverOutput: () => string = () => '';
let buildOutput = '';

type Env = Record<string, string | undefined>;

function baseEnv(): Env {
  const env: Env = {};
  for (const [k, v] of Object.entries(process.env))
    if (!/^(KMS_|INFISICAL_|NEXT_|__NEXT)/.test(k)) env[k] = v;
  env.NEXT_TELEMETRY_DISABLED = '1';
  env.NODE_ENV = 'production';
  env.KMS_CREDENTIALS_DIR = join(appDir, 'test', 'no-credentials-here');
  return env;
}

function kmsEnv(siteUrl: string): Env {
  return {
    ...baseEnv(),
    KMS_SITE_URL: siteUrl,
    KMS_CLIENT_ID: kms.clientId,
    KMS_CLIENT_SECRET: kms.clientSecret,
    KMS_PROJECT_SLUG: kms.projectSlug,
    KMS_ENVIRONMENT: 'dev',
  };
}

function run(args: string[], env: Env, timeoutMs: number) {
  return new Promise<{ code: number | null; output: string; ms: number }>((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, args, { cwd: appDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output, ms: Date.now() - started });
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function startNext(env: Env): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [nextBin, 'start', '-p', String(port), '-H', '127.0.0.1'], {
    cwd: appDir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`next start exited (${child.exitCode}):\n${output}`);
    try {
      const res = await fetch(`${url}/api/secret`);
      if (res.status < 500 || res.status === 500) return { child, url, output: () => output };
    } catch {}
    await new Promise((r) => setTimeout(r, 250));
  }
  child.kill('SIGKILL');
  throw new Error(`next start did not answer within 60 s:\n${output}`);
}

beforeAll(async () => {
  kms = await startKmsTestServer({ secrets: { dev: { '/': SECRETS } } });
  // KMS is unreachable during the build: it must succeed because nothing is fetched.
  const build = await run([nextBin, 'build'], kmsEnv('http://127.0.0.1:9'), 200_000);
  buildOutput = build.output;
  if (build.code !== 0) throw new Error(`next build failed:\n${build.output}`);
  const started = await startNext(kmsEnv(kms.url));
  server = started.child;
  baseUrl = started.url;
  serverOutput = started.output;
});

afterAll(async () => {
  server?.kill('SIGTERM');
  await kms?.close();
});

describe('next build', () => {
  it('uses only current conventions: no deprecation warning from Next', () => {
    expect(buildOutput).not.toMatch(/deprecated/i);
  });

  it('succeeds with KMS unreachable and fetches nothing', () => {
    expect(buildOutput).not.toContain('loaded 3 secrets');
    expect(buildOutput).not.toContain('could not load secrets');
  });
});

describe('next start with withKms + registerKms', () => {
  it('renders a server component from secrets', async () => {
    const html = await (await fetch(`${baseUrl}/`)).text();
    expect(html).toContain(SECRETS.GREETING);
    expect(html).toContain(`api key length: <!-- -->${SECRETS.API_KEY.length}`);
    expect(html).not.toContain(SECRETS.API_KEY);
  });

  it('serves a Node route handler from the store and process.env', async () => {
    const res = await fetch(`${baseUrl}/api/secret`);
    expect(res.status).toBe(200);
    // set by proxy.ts (Node.js runtime) from a secret
    expect(res.headers.get('x-greeting-length')).toBe(String(SECRETS.GREETING.length));
    expect(await res.json()).toEqual({
      runtime: 'nodejs',
      greeting: SECRETS.GREETING,
      fromProcessEnv: SECRETS.GREETING,
      keys: ['API_KEY', 'GREETING', 'SIGNING_KEY'],
    });
  });

  it('runs a server action that uses a secret', async () => {
    const manifest = JSON.parse(
      readFileSync(join(appDir, '.next/server/server-reference-manifest.json'), 'utf8'),
    );
    const [id] = Object.entries(manifest.node as Record<string, { exportedName?: string }>).find(
      ([, entry]) => entry.exportedName === 'signMessage',
    )!;
    const res = await fetch(`${baseUrl}/action`, {
      method: 'POST',
      headers: {
        'Next-Action': id,
        Accept: 'text/x-component',
        Origin: baseUrl,
        'Content-Type': 'text/plain',
      },
      body: JSON.stringify(['hello']),
    });
    const text = await res.text();
    expect(res.status, text).toBe(200);
    const expected = createHmac('sha256', SECRETS.SIGNING_KEY).update('hello').digest('hex');
    expect(text).toContain(`signed:${expected}`);
  });

  it('logs key counts, never values or credentials', () => {
    expect(serverOutput()).toContain('[@hanzo/kms-nextjs] loaded 3 secrets (project');
    for (const value of [...Object.values(SECRETS), kms.clientSecret])
      expect(serverOutput()).not.toContain(value);
  });
});

describe('kms-next check', () => {
  it('passes on this build', async () => {
    const result = await run([checkBin, 'check', '--dir', '.next'], kmsEnv(kms.url), 30_000);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain('no secret value found');
    for (const value of [...Object.values(SECRETS), kms.clientSecret])
      expect(result.output).not.toContain(value);
  });
});

describe('next start with KMS unreachable', () => {
  it('fails fast with a clear message', async () => {
    const port = await freePort();
    const env = { ...kmsEnv('http://127.0.0.1:9'), KMS_BOOT_TIMEOUT: '3' };
    const result = await run([nextBin, 'start', '-p', String(port), '-H', '127.0.0.1'], env, 30_000);
    expect(result.code, result.output).not.toBe(0);
    expect(result.code).not.toBeNull();
    expect(result.ms).toBeLessThan(20_000);
    // One line says why (docs/nextjs.md); Next's own banner and config notice around it, no stack.
    const lines = result.output.split('\n').filter((line) => line.includes('@hanzo/kms-nextjs'));
    expect(lines, result.output).toEqual([
      '[@hanzo/kms-nextjs] could not load secrets at next start: KMS server at http://127.0.0.1:9 is unreachable',
    ]);
    expect(result.output).not.toMatch(/^\s+at /m);
    expect(result.output).not.toContain('[cause]');
    expect(result.output).not.toContain(kms.clientSecret);
  });
});

describe('the README run, against kms-server dev', () => {
  it('starts with the KMS_* lines kms-server dev prints and serves the demo project', async () => {
    const dev = await startKmsDevServer();
    let next: Awaited<ReturnType<typeof startNext>> | undefined;
    try {
      expect(dev.env.KMS_PROJECT_SLUG).toBe('demo');
      // export KMS_SITE_URL KMS_CLIENT_ID KMS_CLIENT_SECRET KMS_PROJECT_SLUG=demo KMS_ENVIRONMENT=dev KMS_SECRET_PATH=/app
      next = await startNext({
        ...baseEnv(),
        KMS_SITE_URL: dev.env.KMS_SITE_URL,
        KMS_CLIENT_ID: dev.env.KMS_CLIENT_ID,
        KMS_CLIENT_SECRET: dev.env.KMS_CLIENT_SECRET,
        KMS_PROJECT_SLUG: 'demo',
        KMS_ENVIRONMENT: 'dev',
        KMS_SECRET_PATH: '/app',
      });
      const res = await fetch(`${next.url}/api/secret`);
      expect(res.status, next.output()).toBe(200);
      expect((await res.json()).greeting).toBe('Hello from Hanzo KMS (dev)');
      expect(await (await fetch(`${next.url}/`)).text()).toContain('Hello from Hanzo KMS (dev)');
    } finally {
      next?.child.kill('SIGTERM');
      await dev.close();
    }
  });
});
