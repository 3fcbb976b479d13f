// The README's run against `kms-server dev`: apply kms.yaml (issuer pointed at a local discovery
// provider standing in for SPIRE's), export the printed KMS_IDENTITY_ID, and read the secrets with
// `kms run` and with the curl script, logging in with a JWT-SVID from a file.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { kmsServerCli, startKmsDevServer, startOidcProvider } from '@hanzo/kms-testing';
import { expect, it } from 'vitest';

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const kmsCli = join(
  dirname(createRequire(import.meta.url).resolve('@hanzo/kms-node/package.json')),
  'dist',
  'cli.js',
);

it('kms-server dev + apply kms.yaml + the README exports: kms run and the curl flow read /ledger', async () => {
  const dev = await startKmsDevServer();
  const provider = await startOidcProvider();
  const dir = mkdtempSync(join(tmpdir(), 'spire-dev-'));
  try {
    // The one documented edit: the issuer of your SPIRE OIDC Discovery Provider.
    const file = join(dir, 'kms.yaml');
    writeFileSync(
      file,
      readFileSync(join(root, 'kms.yaml'), 'utf8').replaceAll(
        'https://oidc-discovery.example.org',
        provider.issuer,
      ),
    );
    const applied = await run(process.execPath, [kmsServerCli(), 'apply', file, '--url', dev.siteUrl], {
      env: { PATH: process.env.PATH, KMS_ADMIN_TOKEN: dev.adminToken, LEDGER_API_KEY: 'lk-from-env' },
    });
    const identityId = /identity ledger-workload: KMS_IDENTITY_ID=(\S+)/.exec(applied.stdout)?.[1];
    expect(identityId, applied.stdout).toBeTruthy();

    const svidFile = join(dir, 'svid.jwt');
    writeFileSync(
      svidFile,
      await provider.svid({ spiffeId: 'spiffe://example.org/ns/payments/sa/ledger', audience: 'kms' }),
    );
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
    await provider.close();
    await dev.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
