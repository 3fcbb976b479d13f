// `node --import @hanzo/kms-node/register` in real child processes running the BUILT package (dist/)
// against the reference server on 127.0.0.1.
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { startKmsTestServer, type KmsTestServer } from '@hanzo/kms-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseEnv, blackHole, type ChildResult, closedPortUrl, emptyDir, kmsEnv, runNode } from './helpers.ts';

let kms: KmsTestServer;
const DB = 'postgres://app:pw-83c1@db.internal/app';
const KEY = 'api-key-5e2b';
const REGISTER = '@hanzo/kms-node/register';

beforeAll(async () => {
  kms = await startKmsTestServer({ secrets: { dev: { '/app': { DATABASE_URL: DB, API_KEY: KEY } } } });
});
afterAll(() => kms?.close());

/** The output of a failed boot: exactly one line on stderr, no stack, no secret, and the app never ran. */
function expectOneLineFailure(result: ChildResult, code: number, message: RegExp) {
  expect(result.code).toBe(code);
  expect(result.stdout).toBe('');
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(message);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  for (const secret of [kms.clientSecret, DB, KEY]) expect(result.stderr).not.toContain(secret);
}

describe('--import @hanzo/kms-node/register', () => {
  it('an ESM app sees its secrets on its first line', async () => {
    const result = await runNode(['--import', REGISTER, 'print-env.mjs'], kmsEnv(kms));
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(`first-line DATABASE_URL=${DB} API_KEY=${KEY}\n`);
    expect(result.code).toBe(0);
  });

  it('a CommonJS app sees its secrets on its first line', async () => {
    const result = await runNode(['--import', REGISTER, 'print-env.cjs'], kmsEnv(kms));
    expect(result.stdout).toBe(`first-line DATABASE_URL=${DB} API_KEY=${KEY}\n`);
    expect(result.code).toBe(0);
  });

  it('through NODE_OPTIONS; Node children and worker threads reuse the secrets instead of logging in', async () => {
    const result = await runNode(['spawn-child.cjs'], kmsEnv(kms, { NODE_OPTIONS: `--import ${REGISTER}` }));
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain(`child DATABASE_URL=${DB}\nchild-status=0\n`);
    expect(result.stdout).toContain(`worker DATABASE_URL=${DB}\nworker-status=0\n`);
    expect(result.code).toBe(0);
  });

  it('reads the credentials from files', async () => {
    const dir = emptyDir();
    writeFileSync(join(dir, 'clientId'), `${kms.clientId}\n`, { mode: 0o600 });
    writeFileSync(join(dir, 'clientSecret'), `${kms.clientSecret}\n`, { mode: 0o600 });
    const env = kmsEnv(kms, {
      KMS_CLIENT_ID: undefined,
      KMS_CLIENT_SECRET: undefined,
      KMS_CREDENTIALS_DIR: dir,
    });
    const result = await runNode(['--import', REGISTER, 'print-env.mjs'], env);
    expect(result.stdout).toBe(`first-line DATABASE_URL=${DB} API_KEY=${KEY}\n`);
  });

  it('preserve (default): an existing variable wins and is named on stderr, its value is not', async () => {
    const result = await runNode(
      ['--import', REGISTER, 'print-env.mjs'],
      kmsEnv(kms, { API_KEY: 'from-shell' }),
    );
    expect(result.stdout).toBe(`first-line DATABASE_URL=${DB} API_KEY=from-shell\n`);
    expect(result.stderr).toBe('kms: kept existing variable API_KEY (KMS_ENV_MERGE=preserve)\n');
  });

  it('override: KMS wins', async () => {
    const env = kmsEnv(kms, { API_KEY: 'from-shell', KMS_ENV_MERGE: 'override' });
    const result = await runNode(['--import', REGISTER, 'print-env.mjs'], env);
    expect(result.stdout).toBe(`first-line DATABASE_URL=${DB} API_KEY=${KEY}\n`);
    expect(result.stderr).toBe('');
  });

  it('error: refuses to start on a conflict (exit 65), the app never runs', async () => {
    const env = kmsEnv(kms, { API_KEY: 'from-shell', KMS_ENV_MERGE: 'error' });
    const result = await runNode(['--import', REGISTER, 'print-env.mjs'], env);
    expectOneLineFailure(
      result,
      65,
      /^kms: cannot load secrets: refusing to load: variable API_KEY already set/,
    );
    expect(result.stderr).not.toContain('from-shell');
  });

  it('KMS_DISABLE=1 skips loading', async () => {
    const env = kmsEnv(kms, { KMS_DISABLE: '1', KMS_SITE_URL: 'http://127.0.0.1:1' });
    const result = await runNode(['--import', REGISTER, 'print-env.mjs'], env);
    expect(result.stdout).toBe('first-line DATABASE_URL=undefined API_KEY=undefined\n');
    expect(result.code).toBe(0);
  });

  it('missing credential files: exit 78 naming the variable and the file', async () => {
    const dir = emptyDir();
    const env = kmsEnv(kms, { KMS_CLIENT_ID: undefined, KMS_CREDENTIALS_DIR: dir });
    const result = await runNode(['--import', REGISTER, 'print-env.mjs'], env);
    expectOneLineFailure(
      result,
      78,
      new RegExp(
        `^kms: cannot load secrets: KMS_CLIENT_ID is not set, nor INFISICAL_UNIVERSAL_AUTH_CLIENT_ID, and ${join(dir, 'clientId')} does not exist`,
      ),
    );
  });

  it('wrong client secret: exit 77, one line, the secret never printed', async () => {
    const env = kmsEnv(kms, { KMS_CLIENT_SECRET: 'definitely-wrong-secret-0001' });
    const result = await runNode(['--import', REGISTER, 'print-env.mjs'], env);
    expectOneLineFailure(
      result,
      77,
      /^kms: cannot load secrets: login refused: the client id or client secret is wrong/,
    );
    expect(result.stderr).not.toContain('definitely-wrong-secret-0001');
  });

  it('missing folder: exit 66', async () => {
    const result = await runNode(
      ['--import', REGISTER, 'print-env.mjs'],
      kmsEnv(kms, { KMS_SECRET_PATH: '/missing' }),
    );
    expectOneLineFailure(result, 66, /^kms: cannot load secrets: folder \/missing does not exist/);
  });

  it('unreachable server: exit 69', async () => {
    const url = await closedPortUrl();
    const result = await runNode(['--import', REGISTER, 'print-env.mjs'], kmsEnv(kms, { KMS_SITE_URL: url }));
    expectOneLineFailure(
      result,
      69,
      new RegExp(`^kms: cannot load secrets: KMS server at ${url} is unreachable$`),
    );
  });

  it('black-hole server: exit 75 once KMS_BOOT_TIMEOUT has passed', async () => {
    const hole = await blackHole();
    try {
      const env = kmsEnv(kms, { KMS_SITE_URL: hole.url, KMS_BOOT_TIMEOUT: '1' });
      const result = await runNode(['--import', REGISTER, 'print-env.mjs'], env);
      expectOneLineFailure(result, 75, /did not answer within 1 s \(KMS_BOOT_TIMEOUT\)$/);
      expect(result.ms).toBeLessThan(4000);
    } finally {
      await hole.close();
    }
  });

  it('-r (CommonJS preload) refuses with what to do instead', async () => {
    const result = await runNode(['-r', REGISTER, 'print-env.cjs'], kmsEnv(kms));
    expectOneLineFailure(result, 78, /must be loaded with --import, not -r\/require/);
  });

  it('no configuration at all: exit 78 naming every missing variable in one line', async () => {
    const result = await runNode(['--import', REGISTER, 'print-env.mjs'], baseEnv());
    expectOneLineFailure(
      result,
      78,
      /^kms: cannot load secrets: 5 settings are missing: KMS_SITE_URL is not set .*; KMS_CLIENT_ID is not set.*; KMS_CLIENT_SECRET is not set.*; KMS_PROJECT_SLUG is not set.*; KMS_ENVIRONMENT is not set/,
    );
  });

  it('https:// against a plain-HTTP server: exit 69 naming the TLS/plain-HTTP mismatch', async () => {
    const plain = createServer((_request, response) => response.end('plain'));
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    try {
      const url = `https://127.0.0.1:${(plain.address() as { port: number }).port}`;
      const result = await runNode(
        ['--import', REGISTER, 'print-env.mjs'],
        kmsEnv(kms, { KMS_SITE_URL: url }),
      );
      expectOneLineFailure(
        result,
        69,
        new RegExp(
          `^kms: cannot load secrets: KMS server at ${url} answered in plain HTTP, not TLS \\(TLS/plain-HTTP mismatch\\): use http:// in KMS_SITE_URL, or serve TLS$`,
        ),
      );
    } finally {
      await new Promise<void>((resolve) => plain.close(() => resolve()));
    }
  });
});

describe('Node 20 (/usr/bin/node) runs the built package', () => {
  const node20 = '/usr/bin/node';
  it('register and loadSecrets', async () => {
    const version = await runNode(['--version'], baseEnv(), node20);
    expect(version.stdout).toMatch(/^v20\./);
    const boot = await runNode(['--import', REGISTER, 'print-env.mjs'], kmsEnv(kms), node20);
    expect(boot.stderr).toBe('');
    expect(boot.stdout).toBe(`first-line DATABASE_URL=${DB} API_KEY=${KEY}\n`);
    const load = await runNode(['load-secrets.mjs'], kmsEnv(kms), node20);
    expect(load.stderr).toBe('');
    expect(load.stdout).toBe(`loaded=API_KEY,DATABASE_URL DATABASE_URL=${DB}\n`);
  });
});
