import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli } from './helpers/cli-process.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

const run = promisify(execFile);
const script = new URL('../../examples/github-actions/fetch-secrets.sh', import.meta.url).pathname;

let kms: TestServer;
let identity: { clientId: string; clientSecret: string };
beforeAll(async () => {
  kms = await startTestServer();
  const project = await kms.createProject('ci-project');
  await kms.admin('POST', '/api/v1/folders', {
    workspaceId: project.id,
    environment: 'prod',
    name: 'app',
    path: '/',
  });
  await kms.admin('POST', '/api/v3/secrets/batch/raw', {
    workspaceId: project.id,
    environment: 'prod',
    secretPath: '/app',
    secrets: [
      { secretKey: 'DB_HOST', secretValue: 'db.internal' },
      { secretKey: 'DB_URL', secretValue: 'postgres://app@${DB_HOST}/app' },
      { secretKey: 'TLS_KEY', secretValue: 'line one\nline two\n' },
    ],
  });
  identity = await kms.createMachineIdentity({ project: { id: project.id, role: 'viewer' } });
});
afterAll(() => kms.close());

describe('the GitHub Actions flow (curl + jq, run verbatim)', () => {
  it('logs in, fetches, masks and exports the secrets, then revokes its token', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gha-'));
    const githubEnv = join(dir, 'github_env');
    writeFileSync(githubEnv, '');
    const { stdout } = await run('bash', [script], {
      cwd: dir,
      env: {
        PATH: process.env.PATH,
        KMS_SITE_URL: kms.url,
        KMS_CLIENT_ID: identity.clientId,
        KMS_CLIENT_SECRET: identity.clientSecret,
        KMS_PROJECT_SLUG: 'ci-project',
        KMS_ENVIRONMENT: 'prod',
        KMS_SECRET_PATH: '/app',
        GITHUB_ENV: githubEnv,
      },
    });
    expect(stdout).toContain('::add-mask::db.internal');
    expect(readFileSync(githubEnv, 'utf8')).toBe(
      [
        'DB_HOST<<KMS_EOF',
        'db.internal',
        'KMS_EOF',
        'DB_URL<<KMS_EOF',
        'postgres://app@db.internal/app',
        'KMS_EOF',
        'TLS_KEY<<KMS_EOF',
        'line one\nline two\n',
        'KMS_EOF',
        '',
      ].join('\n'),
    );
    const { auditLogs } = await kms.admin('GET', '/api/v1/audit-logs?limit=10');
    expect(auditLogs.map((e: any) => e.event.type).slice(0, 3)).toEqual([
      'revoke-identity-access-token',
      'get-secrets',
      'login-identity-universal-auth',
    ]);
  });

  it('fails the step (non-zero exit) on wrong credentials', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gha-'));
    const failed = await run('bash', [script], {
      cwd: dir,
      env: {
        PATH: process.env.PATH,
        KMS_SITE_URL: kms.url,
        KMS_CLIENT_ID: identity.clientId,
        KMS_CLIENT_SECRET: 'wrong',
        KMS_PROJECT_SLUG: 'ci-project',
        KMS_ENVIRONMENT: 'prod',
        GITHUB_ENV: join(dir, 'env'),
      },
    }).catch((error: { code: number }) => error);
    expect((failed as { code: number }).code).not.toBe(0);
  });

  it('names every missing input at once and exits 64 before logging in (no token left unrevoked)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gha-'));
    const before = (await kms.admin('GET', '/api/v1/audit-logs?limit=1')).auditLogs[0]?.id;
    const failed = (await run('bash', [script], {
      cwd: dir,
      env: { PATH: process.env.PATH, KMS_SITE_URL: kms.url, KMS_CLIENT_ID: identity.clientId },
    }).catch((error: unknown) => error)) as { code: number; stderr: string };
    expect(failed.code).toBe(64);
    expect(failed.stderr).toBe(
      'fetch-secrets: not set: KMS_CLIENT_SECRET KMS_PROJECT_SLUG KMS_ENVIRONMENT GITHUB_ENV (GITHUB_ENV is set by the Actions runner; elsewhere name a file)\n',
    );
    expect((await kms.admin('GET', '/api/v1/audit-logs?limit=1')).auditLogs[0]?.id).toBe(before);
  });

  it('revokes its token when a step after the login fails (an unwritable GITHUB_ENV)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gha-'));
    const failed = (await run('bash', [script], {
      cwd: dir,
      env: {
        PATH: process.env.PATH,
        KMS_SITE_URL: kms.url,
        KMS_CLIENT_ID: identity.clientId,
        KMS_CLIENT_SECRET: identity.clientSecret,
        KMS_PROJECT_SLUG: 'ci-project',
        KMS_ENVIRONMENT: 'prod',
        KMS_SECRET_PATH: '/app',
        GITHUB_ENV: join(dir, 'no-such-folder', 'env'),
      },
    }).catch((error: unknown) => error)) as { code: number };
    expect(failed.code).not.toBe(0);
    const { auditLogs } = await kms.admin('GET', '/api/v1/audit-logs?limit=3');
    expect(auditLogs.map((e: any) => e.event.type)).toEqual([
      'revoke-identity-access-token',
      'get-secrets',
      'login-identity-universal-auth',
    ]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('runs the README step as written against kms-server dev (demo project, prod, /app)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gha-dev-'));
    const dev = startCli(['dev', '--port', '0', '--data-dir', join(dir, 'data')]);
    try {
      const printed = (await dev.waitFor(/KMS_SECRET_PATH=\S+\n/)).input as string;
      const lines = Object.fromEntries(
        [...printed.matchAll(/^\s+(KMS_[A-Z_]+)=(\S+)$/gm)].map((m) => [m[1], m[2]]),
      );
      const githubEnv = join(dir, 'github_env');
      writeFileSync(githubEnv, '');
      // The README's env block: KMS_SITE_URL, the identity's two secrets, demo / prod / /app.
      await run('bash', [script], {
        cwd: dir,
        env: {
          PATH: process.env.PATH,
          KMS_SITE_URL: lines.KMS_SITE_URL,
          KMS_CLIENT_ID: lines.KMS_CLIENT_ID,
          KMS_CLIENT_SECRET: lines.KMS_CLIENT_SECRET,
          KMS_PROJECT_SLUG: 'demo',
          KMS_ENVIRONMENT: 'prod',
          KMS_SECRET_PATH: '/app',
          GITHUB_ENV: githubEnv,
        },
      });
      const exported = readFileSync(githubEnv, 'utf8');
      expect(exported).toContain(
        'DATABASE_URL<<KMS_EOF\npostgres://app:prod-password@prod-db:5432/app\nKMS_EOF',
      );
      expect(exported).toContain('API_KEY<<KMS_EOF\nprod-api-key-0123456789\nKMS_EOF');
    } finally {
      dev.child.kill('SIGTERM');
      await dev.exited;
    }
  });
});
