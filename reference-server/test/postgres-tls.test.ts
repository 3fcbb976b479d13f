// TLS to PostgreSQL through the usual URL parameters: `sslmode=verify-full&sslrootcert=<CA>` connects
// over TLS and checks the server's certificate; without the CA the store refuses to start.
import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { StoreUnavailableError } from '../src/store/contract.js';
import { openStore } from '../src/store/store.js';
import { type EmbeddedPostgresServer, startEmbeddedPostgres } from './helpers/postgres.js';

const dir = mkdtempSync(join(tmpdir(), 'kms-pg-tls-'));
let postgres: EmbeddedPostgresServer;
let databaseUrl: string;

beforeAll(async () => {
  const sh = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  sh([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=test-ca',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
  ]);
  sh([
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
  ]);
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  sh([
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'san.ext',
    '-out',
    'server.crt',
  ]);
  // PostgreSQL runs as its own user (see tools/embedded-postgres.mjs) and wants its key private to it.
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    for (const f of ['server.key', 'server.crt']) chownSync(join(dir, f), uid, gid);
    chownSync(dir, uid, gid);
  }
  postgres = await startEmbeddedPostgres({
    postgresFlags: [
      '-c',
      'ssl=on',
      '-c',
      `ssl_cert_file=${join(dir, 'server.crt')}`,
      '-c',
      `ssl_key_file=${join(dir, 'server.key')}`,
    ],
  });
  databaseUrl = await postgres.createDatabase();
}, 60_000);

afterAll(async () => {
  await postgres?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('connects over TLS with sslmode=verify-full and the CA given as sslrootcert', async () => {
  const url = new URL(databaseUrl);
  url.searchParams.set('sslmode', 'verify-full');
  url.searchParams.set('sslrootcert', join(dir, 'ca.pem'));
  const store = await openStore({ postgres: { url: url.toString() } });
  try {
    const row = await store.sql.one<{ ssl: boolean }>(
      'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
    );
    expect(row?.ssl).toBe(true);
    await expect(store.access.getConfig()).resolves.toBeUndefined();
  } finally {
    await store.close();
  }
});

it('refuses a server certificate it cannot verify (no CA given)', async () => {
  const url = new URL(databaseUrl);
  url.searchParams.set('sslmode', 'verify-full');
  const failure = await openStore({ postgres: { url: url.toString(), connectionTimeoutMs: 5000 } }).catch(
    (e) => e,
  );
  expect(failure).toBeInstanceOf(StoreUnavailableError);
  expect(String(failure.message)).toMatch(/certificate/);
});
