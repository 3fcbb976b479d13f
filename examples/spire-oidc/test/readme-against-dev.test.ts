// The README's run against `kms-server dev`: start scripts/discovery-provider.mjs (the README's stand-in
// for SPIRE, on a chosen port), apply kms.yaml with its issuer, export the printed KMS_IDENTITY_ID, and
// read the secrets with `kms run` and with the curl script, logging in with the SVID file it writes.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createServer } from 'node:net';
import { kmsServerCli, startKmsDevServer } from '@hanzo/kms-testing';
import { expect, it } from 'vitest';

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const kmsCli = join(
  dirname(createRequire(import.meta.url).resolve('@hanzo/kms-node/package.json')),
  'dist',
  'cli.js',
);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

it('kms-server dev + apply kms.yaml + the README exports: kms run and the curl flow read /ledger', async () => {
  const dev = await startKmsDevServer();
  const dir = mkdtempSync(join(tmpdir(), 'spire-dev-'));
  const svidFile = join(dir, 'svid.jwt');
  // The README's command, with a free port in place of 8443.
  const port = await freePort();
  const provider = spawn(
    process.execPath,
    [join(root, 'scripts', 'discovery-provider.mjs'), '--port', String(port), '--svid-file', svidFile],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  try {
    let printed = '';
    const issuer = await new Promise<string>((resolve, reject) => {
      provider.stdout.on('data', (d: Buffer) => {
        printed += d;
        // Both lines may arrive in separate chunks: wait for the second before reading the first.
        const found = /^issuer: (\S+)$/m.exec(printed)?.[1];
        if (found && /^svid file: /m.test(printed)) resolve(found);
      });
      provider.stderr.on('data', (d: Buffer) => (printed += d));
      provider.once('exit', (code) => reject(new Error(`discovery-provider exited ${code}: ${printed}`)));
    });
    expect(issuer).toBe(`http://127.0.0.1:${port}`);
    expect(printed).toContain(`svid file: ${svidFile}`);
    // The one documented edit: the issuer of your SPIRE OIDC Discovery Provider.
    const file = join(dir, 'kms.yaml');
    writeFileSync(
      file,
      readFileSync(join(root, 'kms.yaml'), 'utf8').replaceAll('https://oidc-discovery.example.org', issuer),
    );
    const applied = await run(process.execPath, [kmsServerCli(), 'apply', file, '--url', dev.siteUrl], {
      env: { PATH: process.env.PATH, KMS_ADMIN_TOKEN: dev.adminToken, LEDGER_API_KEY: 'lk-from-env' },
    });
    const identityId = /identity ledger-workload: KMS_IDENTITY_ID=(\S+)/.exec(applied.stdout)?.[1];
    expect(identityId, applied.stdout).toBeTruthy();

    const env = {
      PATH: process.env.PATH,
      KMS_SITE_URL: dev.siteUrl,
      KMS_PROJECT_SLUG: 'ledger',
      KMS_ENVIRONMENT: 'prod',
      KMS_SECRET_PATH: '/ledger',
      KMS_IDENTITY_ID: identityId,
      KMS_OIDC_JWT_FILE: svidFile,
    };
    const injected = await run(
      process.execPath,
      [kmsCli, 'run', '--', 'node', '-e', 'console.log(process.env.LEDGER_API_KEY)'],
      { env },
    );
    expect(injected.stdout).toBe('lk-from-env\n');
    const curl = await run('bash', [join(root, 'scripts', 'login-and-read.sh')], { env });
    expect(curl.stdout.trim().split('\n').sort()).toEqual(['DATABASE_URL', 'LEDGER_API_KEY']);
  } finally {
    if (provider.exitCode === null && provider.signalCode === null) {
      const exited = new Promise((resolve) => provider.once('exit', resolve));
      provider.kill('SIGTERM');
      await exited;
    }
    await dev.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
