// The README's run, as written, against `kms-server dev` (its demo project, folder /app) with the
// KMS_* lines dev prints (startKmsDevServer from the test kit).
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type KmsDevServer, startKmsDevServer } from '@hanzo/kms-testing';
import { afterAll, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const children: ChildProcess[] = [];
let dev: KmsDevServer | undefined;
afterAll(async () => {
  for (const child of children) child.kill('SIGTERM');
  await dev?.close();
});

/** Starts `node args`, resolving with its output once `ready` matches it. */
function startUntil(args: string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<RegExpExecArray> {
  const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += String(chunk);
      const match = ready.exec(output);
      if (match) resolve(match);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
  });
}

it('serves /db from the demo project of kms-server dev, configured as the README says', async () => {
  dev = await startKmsDevServer();
  const lines = dev.env;
  const dataDir = dev.dataDir;
  const [, url] = await startUntil(
    ['--import', '@hanzo/kms-node/register', 'src/server.js'],
    {
      PATH: process.env.PATH,
      KMS_SITE_URL: lines.KMS_SITE_URL,
      KMS_PROJECT_SLUG: 'demo',
      KMS_ENVIRONMENT: 'dev',
      KMS_SECRET_PATH: '/app',
      KMS_CLIENT_ID: lines.KMS_CLIENT_ID,
      KMS_CLIENT_SECRET: lines.KMS_CLIENT_SECRET,
      KMS_CREDENTIALS_DIR: join(dataDir, 'no-credential-files'),
      PORT: '0',
    },
    /listening on (http:\/\/\S+)/,
  );
  expect(await (await fetch(`${url}/db`)).json()).toEqual({
    host: 'localhost',
    database: 'app',
    user: 'app',
  });
});
