// The README's run, as written, against `kms-server dev`: the demo project has everything this app reads
// (/app and /billing), and the KMS_* lines dev prints are all the app needs.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type KmsDevServer, startKmsDevServer } from '@hanzo/kms-testing';
import { afterAll, expect, it } from 'vitest';

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const children: ChildProcess[] = [];
let dev: KmsDevServer | undefined;
afterAll(async () => {
  for (const child of children) child.kill('SIGTERM');
  await dev?.close();
});

/** Starts a child and resolves once its stdout matches `ready`, with everything it printed so far. */
function startUntil(args: string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<string> {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready in 20 s:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += String(chunk);
      if (ready.test(output)) {
        clearTimeout(timer);
        resolve(output);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

it.skipIf(!existsSync(main))('runs against kms-server dev with the KMS_* lines it prints', async () => {
  dev = await startKmsDevServer();
  const lines = dev.env;
  const dataDir = dev.dataDir;
  expect(lines.KMS_PROJECT_SLUG).toBe('demo');
  const port = await freePort();
  // The README: export KMS_SITE_URL KMS_CLIENT_ID KMS_CLIENT_SECRET KMS_PROJECT_SLUG=demo KMS_ENVIRONMENT=dev; pnpm start
  await startUntil(
    [main],
    {
      PATH: process.env.PATH,
      KMS_SITE_URL: lines.KMS_SITE_URL,
      KMS_CLIENT_ID: lines.KMS_CLIENT_ID,
      KMS_CLIENT_SECRET: lines.KMS_CLIENT_SECRET,
      KMS_PROJECT_SLUG: 'demo',
      KMS_ENVIRONMENT: 'dev',
      KMS_CREDENTIALS_DIR: join(dataDir, 'no-credential-files'),
      PORT: String(port),
    },
    /Nest application successfully started/,
  );
  const billing = await fetch(`http://127.0.0.1:${port}/billing`);
  expect(billing.status).toBe(200);
  expect(await billing.json()).toEqual({ mode: 'test', retries: 3 });
});
