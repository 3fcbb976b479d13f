// The first-run path of a `kms-server start` server as the READMEs give it (root README and
// reference-server/README.md): start, `kms-server apply` of the README's kms.yaml, then the first
// read with `kms run`. The YAML is taken from the README itself, so the docs cannot rot.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { cliPath } from './helpers.js';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const serverDir = dirname(require.resolve('@hanzo/kms-server/package.json'));
const serverCli = join(serverDir, 'dist/cli.js');
const dir = mkdtempSync(join(tmpdir(), 'kms-first-run-'));
let server: ChildProcess | undefined;
afterAll(() => {
  server?.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

it('start → apply the README file → kms run reads the first secret', async () => {
  const readme = readFileSync(join(serverDir, 'README.md'), 'utf8');
  const yaml = /<!-- apply-example -->\s*```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(yaml).toBeTruthy();
  writeFileSync(join(dir, 'kms.yaml'), yaml as string);

  server = spawn(process.execPath, [serverCli, 'start', '--port', '0', '--data-dir', join(dir, 'data')], {
    env: { PATH: process.env.PATH, ROOT_ENCRYPTION_KEY: randomBytes(32).toString('base64') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    server?.stdout?.on('data', (chunk: Buffer) => {
      output += String(chunk);
      const m = /listening on (http:\/\/\S+)/.exec(output);
      if (m) resolve(m[1] as string);
    });
    server?.on('exit', (code) => reject(new Error(`kms-server exited with ${code}: ${output}`)));
  });

  const applied = await run(process.execPath, [serverCli, 'apply', join(dir, 'kms.yaml'), '--url', url], {
    env: { PATH: process.env.PATH, KMS_ADMIN_PASSWORD: 'S3cure-first-run!', SHOP_API_KEY: 'shop-key-123' },
  });
  expect(applied.stdout).toContain('+ bootstrap: organization Acme, admin ops@example.com');
  expect(applied.stdout).toContain('+ secret shop/dev:/app DATABASE_URL');
  const [, clientId, clientSecret] = /KMS_CLIENT_ID=(\S+) KMS_CLIENT_SECRET=(\S+)/.exec(applied.stdout) ?? [];

  const read = await run(process.execPath, [cliPath, 'run', '--', 'printenv', 'DATABASE_URL'], {
    env: {
      PATH: process.env.PATH,
      KMS_SITE_URL: url,
      KMS_CLIENT_ID: clientId,
      KMS_CLIENT_SECRET: clientSecret,
      KMS_PROJECT_SLUG: 'shop',
      KMS_ENVIRONMENT: 'dev',
      KMS_SECRET_PATH: '/app',
      KMS_CREDENTIALS_DIR: join(dir, 'no-credential-files'),
    },
  });
  expect(read.stdout.trim()).toBe('postgres://app@db.internal:5432/shop');
  expect(read.stderr).toContain('kms: injected 2 secrets from shop/dev:/app');
});
