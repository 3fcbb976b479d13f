// What replaces `node --import @hanzo/kms-node/register` on Bun and Deno, run for real against the
// reference server: Bun's `--preload` (and its `--import` alias), Deno's `--preload`, and Deno's
// `--env-file` with @hanzo/kms-node/env. The documented commands (packages/node/README.md,
// docs/node-boot.md) are the ones spawned here.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  loadStartServer,
  type Provisioned,
  ReferenceServer,
} from '../../../packages/sdk/test/reference-server.js';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const packageDir = here('../');
const bun = here('../node_modules/bun/bin/bun.exe');
const deno = here('../node_modules/.bin/deno');
const DB = 'postgres://app:pw-77d1@db.internal/app';
const KEY = 'api-key-91fe';
const FIRST_LINE = `first-line DATABASE_URL=${DB} API_KEY=${KEY}\n`;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], env: Record<string, string>): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      {
        cwd: packageDir,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NO_COLOR: '1', ...env },
        timeout: 60_000,
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
  });
}

const startServer = await loadStartServer();
const scratch = mkdtempSync(join(tmpdir(), 'kms-runtime-boot-'));
// As in an app's directory: Deno finds package.json and resolves bare specifiers (`@hanzo/kms-node/env`,
// the built files' `@hanzo/kms`) from node_modules; `--cached-only` makes any download an error.
const denoRun = (...args: string[]) => [
  'run',
  '--cached-only',
  '--no-prompt',
  '--allow-net=127.0.0.1',
  '--allow-env',
  '--allow-read',
  ...args,
];

let server: ReferenceServer;
let provisioned: Provisioned;
let variables: Record<string, string>;

beforeAll(async () => {
  server = await ReferenceServer.start(startServer);
  provisioned = await server.provision({ role: 'viewer' }, { DATABASE_URL: DB, API_KEY: KEY });
  variables = {
    KMS_SITE_URL: provisioned.url,
    KMS_CLIENT_ID: provisioned.clientId,
    KMS_CLIENT_SECRET: provisioned.clientSecret,
    KMS_PROJECT_ID: provisioned.projectId,
    KMS_ENVIRONMENT: 'dev',
    KMS_SECRET_PATH: '/app',
    KMS_CREDENTIALS_DIR: scratch,
    DENO_DIR: join(scratch, 'deno'),
    npm_config_registry: 'http://127.0.0.1:9/',
  };
}, 60_000);
afterAll(async () => {
  await server?.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe('Bun', () => {
  it.each(['--preload', '--import'])(
    'bun %s @hanzo/kms-node/register app.mjs: the app sees its secrets on its first line',
    async (flag) => {
      const result = await run(
        bun,
        ['--no-install', flag, '@hanzo/kms-node/register', 'fixtures/print-env.mjs'],
        variables,
      );
      expect(result.stderr).toBe('');
      expect(result.stdout).toBe(FIRST_LINE);
      expect(result.code).toBe(0);
    },
  );

  it('a bad configuration stops the boot with one line before the app runs', async () => {
    const result = await run(
      bun,
      ['--no-install', '--preload', '@hanzo/kms-node/register', 'fixtures/print-env.mjs'],
      { ...variables, KMS_BOOT_TIMEOUT: 'soon' },
    );
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^kms: cannot load secrets: KMS_BOOT_TIMEOUT must be a positive duration/),
    ]);
  });
});

describe('Deno', () => {
  it('deno run --preload ./node_modules/@hanzo/kms-node/dist/register.js app.mjs: the app sees its secrets on its first line', async () => {
    const register = './node_modules/@hanzo/kms-node/dist/register.js';
    const result = await run(deno, denoRun('--preload', register, 'fixtures/print-env.mjs'), variables);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(FIRST_LINE);
    expect(result.code).toBe(0);
  });

  it('deno run --env-file with @hanzo/kms-node/env: the session reads the variables through Deno.env', async () => {
    const envFile = join(scratch, 'kms.env');
    const { DENO_DIR, npm_config_registry, ...kms } = variables;
    writeFileSync(
      envFile,
      Object.entries(kms)
        .map(([k, v]) => `${k}=${v}`)
        .join('\n'),
      { mode: 0o600 },
    );
    const result = await run(deno, denoRun(`--env-file=${envFile}`, 'fixtures/deno-session.mjs'), {
      DENO_DIR: DENO_DIR ?? '',
      npm_config_registry: npm_config_registry ?? '',
    });
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(FIRST_LINE);
    expect(result.code).toBe(0);
  });
});
