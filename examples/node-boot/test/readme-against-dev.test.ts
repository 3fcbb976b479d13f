// The README's run, as written, against `kms-server dev` (its demo project, folder /app) with the
// KMS_* lines dev prints. @hanzo/kms-server is reached through the test kit, which depends on it.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(createRequire(import.meta.url).resolve('@hanzo/kms-testing/package.json'));
const serverCli = join(dirname(require.resolve('@hanzo/kms-server/package.json')), 'dist/cli.js');
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill('SIGTERM');
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
  const dataDir = mkdtempSync(join(tmpdir(), 'kms-dev-node-boot-'));
  const [printed] = await startUntil(
    [serverCli, 'dev', '--port', '0', '--data-dir', dataDir],
    { PATH: process.env.PATH },
    /[\s\S]*KMS_SECRET_PATH=\S+\n/,
  );
  const lines = Object.fromEntries(
    [...printed.matchAll(/^\s+(KMS_[A-Z_]+)=(\S+)$/gm)].map((m) => [m[1], m[2]]),
  );
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
