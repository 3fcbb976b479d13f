// End to end: the reference server and a SPIRE-like OIDC discovery provider on loopback (signing
// JWT-SVIDs for spiffe://example.org/...), the workload run three ways as its README documents.
import { execFile } from 'node:child_process';
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  type KmsTestServer,
  type OidcProvider,
  startKmsTestServer,
  startOidcProvider,
} from '@hanzo/kms-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// The `kms` bin of @hanzo/kms-node, run with this Node (a fresh install links bins before the build).
const kmsCli = join(
  dirname(createRequire(import.meta.url).resolve('@hanzo/kms-node/package.json')),
  'dist',
  'cli.js',
);
const SPIFFE_ID = 'spiffe://example.org/ns/payments/sa/ledger';
const DATABASE_URL = 'postgres://ledger:pw-spire-7c1d@db.internal/ledger';

let kms: KmsTestServer;
let provider: OidcProvider;
let identityId: string;
let svidFile: string;

beforeAll(async () => {
  kms = await startKmsTestServer({
    secrets: { prod: { '/ledger': { DATABASE_URL, LEDGER_API_KEY: 'lk-1' } } },
  });
  provider = await startOidcProvider();
  // Tokens live 2 s and sessions 3 s, so a run of a few seconds logs in several times.
  identityId = await kms.addOidcIdentity(provider, {
    boundSubject: SPIFFE_ID,
    accessTokenTTL: 2,
    accessTokenMaxTTL: 3,
  });
  svidFile = join(mkdtempSync(join(tmpdir(), 'spire-svid-')), 'svid.jwt');
});
afterAll(async () => {
  await provider?.close();
  await kms?.close();
});

const workloadEnv = () => ({
  PATH: process.env.PATH,
  KMS_SITE_URL: kms.url,
  KMS_IDENTITY_ID: identityId,
  KMS_OIDC_JWT_FILE: svidFile,
  KMS_PROJECT_SLUG: kms.projectSlug,
  KMS_ENVIRONMENT: 'prod',
  KMS_SECRET_PATH: '/ledger',
});
// Written whole, then renamed into place, as SPIRE's helper does: a login never reads a half-written file.
const writeSvid = async (ttlSeconds = 300) => {
  writeFileSync(`${svidFile}.tmp`, await provider.svid({ spiffeId: SPIFFE_ID, audience: 'kms', ttlSeconds }));
  renameSync(`${svidFile}.tmp`, svidFile);
};

describe('a SPIRE workload with OIDC Auth', () => {
  it('kms run injects the secrets, logging in with the SVID file', async () => {
    await writeSvid();
    const { stdout } = await run(
      process.execPath,
      [kmsCli, 'run', '--', 'node', '-e', 'console.log(process.env.LEDGER_API_KEY)'],
      {
        env: workloadEnv(),
      },
    );
    expect(stdout).toBe('lk-1\n');
  });

  it('the SDK re-reads the SVID file at every login while a helper rotates it', async () => {
    await writeSvid(2);
    // A SPIFFE helper: a fresh SVID every 500 ms, each valid 2 s; reusing an old one would fail.
    const helper = setInterval(() => void writeSvid(2), 500);
    try {
      const { stdout, stderr } = await run(process.execPath, ['src/workload.js'], {
        cwd: root,
        env: { ...workloadEnv(), WORKLOAD_READS: '12', WORKLOAD_PAUSE_MS: '400' },
      });
      expect(stderr).toBe('');
      expect(stdout.trim().split('\n')).toEqual(
        Array(12).fill('read 2 secrets: DATABASE_URL, LEDGER_API_KEY'),
      );
      expect(stdout).not.toContain('pw-spire');
    } finally {
      clearInterval(helper);
    }
  }, 30_000);

  it('the curl flow of the README: login | jq -r .accessToken, then read', async () => {
    await writeSvid();
    const { stdout } = await run('bash', [join(root, 'scripts', 'login-and-read.sh')], {
      env: workloadEnv(),
    });
    expect(stdout.trim().split('\n').sort()).toEqual(['DATABASE_URL', 'LEDGER_API_KEY']);
  });
});
