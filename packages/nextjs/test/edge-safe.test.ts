// The edge-safe read path: Next 16 deprecates the Edge Runtime (the example app uses the Node runtime
// in proxy.ts and its routes), but edge isolates elsewhere (Vercel Edge Functions, Workers) still load
// the `edge-light` build. This runs that build in a process where importing any Node built-in fails,
// against a real reference server.
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type KmsTestServer, startKmsTestServer } from '@hanzo/kms-testing';
import { afterAll, beforeAll, expect, it } from 'vitest';

const run = promisify(execFile);
const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'edge');
let kms: KmsTestServer;

beforeAll(async () => {
  kms = await startKmsTestServer({
    secrets: { dev: { '/': { GREETING: 'hello from the edge', OTHER: 'x' } } },
  });
});
afterAll(() => kms?.close());

const edge = (script: string, env: Record<string, string>) =>
  run(
    process.execPath,
    [
      '--conditions=edge-light',
      '--conditions=react-server',
      '--import',
      join(fixtures, 'no-node-builtins.mjs'),
      join(fixtures, script),
    ],
    { env: { PATH: process.env.PATH, NODE_ENV: 'production', ...env } },
  );

const settings = () => ({
  KMS_SITE_URL: kms.url,
  KMS_CLIENT_ID: kms.clientId,
  KMS_CLIENT_SECRET: kms.clientSecret,
  KMS_PROJECT_ID: kms.projectId,
  KMS_ENVIRONMENT: 'dev',
});

it('reads secrets through the edge build with no Node built-in imported', async () => {
  const { stdout } = await edge('read-secret.mjs', settings());
  expect(JSON.parse(stdout)).toEqual({ greeting: 'hello from the edge', keys: ['GREETING', 'OTHER'] });
});

it('the guard works: the Node build of the same read, same settings, is stopped at its first built-in', async () => {
  const failure = await run(
    process.execPath,
    [
      '--conditions=react-server',
      '--import',
      join(fixtures, 'no-node-builtins.mjs'),
      join(fixtures, 'read-secret.mjs'),
    ],
    { env: { PATH: process.env.PATH, NODE_ENV: 'production', ...settings() } },
  ).catch((error: { stderr: string }) => error);
  expect((failure as { stderr: string }).stderr).toMatch(/edge-unsafe import of (node:)?\w+/);
});
