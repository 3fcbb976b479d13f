// End to end: the reference server on 127.0.0.1, the service started as documented
// (`node --import @hanzo/kms-node/register src/server.js`), requests over HTTP, and a rotation.
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type KmsTestServer, startKmsTestServer } from '@hanzo/kms-testing';
import { afterAll, beforeAll, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const PASSWORD = 'pw-example-5a1c';
let kms: KmsTestServer;
let service: ChildProcess | undefined;
let output = '';

beforeAll(async () => {
  kms = await startKmsTestServer({
    secrets: { prod: { '/api': { DATABASE_URL: `postgres://shop:${PASSWORD}@db-1.internal:5432/shop` } } },
  });
});
afterAll(async () => {
  service?.kill('SIGTERM');
  await kms?.close();
});

function startService(): Promise<string> {
  service = spawn(process.execPath, ['--import', '@hanzo/kms-node/register', 'src/server.js'], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      KMS_SITE_URL: kms.url,
      KMS_CLIENT_ID: kms.clientId,
      KMS_CLIENT_SECRET: kms.clientSecret,
      KMS_PROJECT_SLUG: kms.projectSlug,
      KMS_ENVIRONMENT: 'prod',
      KMS_SECRET_PATH: '/api',
      KMS_CREDENTIALS_DIR: join(root, 'no-credential-files'),
      KMS_WATCH_INTERVAL: '200',
      PORT: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    service!.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      const url = /listening on (http:\/\/\S+)/.exec(output)?.[1];
      if (url) resolve(url);
    });
    service!.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    service!.on('exit', (code) => reject(new Error(`service exited with ${code}: ${output}`)));
  });
}

it('boots with its database URL from KMS and follows a rotation without a restart', async () => {
  const url = await startService();
  const first = await (await fetch(`${url}/db`)).json();
  expect(first).toEqual({ host: 'db-1.internal', database: 'shop', user: 'shop' });

  await kms.setSecret('prod', '/api', 'DATABASE_URL', `postgres://shop:${PASSWORD}@db-2.internal:5432/shop`);
  await expect
    .poll(async () => ((await (await fetch(`${url}/db`)).json()) as { host: string }).host, {
      timeout: 10_000,
    })
    .toBe('db-2.internal');
  expect(output).toContain('database pool rotated');
  expect(output).not.toContain(PASSWORD);
  expect(output).not.toContain(kms.clientSecret);
});
