// Secret rotation on a PostgreSQL store shared by replicas: a `kms-server start` process killed
// with SIGKILL between the two phases of a rotation (new password installed, secrets not yet
// written) leaves the rotation pending; the restarted server resumes it with the same credentials.
// And replicas running their schedulers together rotate once per due time.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { type RunningServer, startServer } from '../src/server.js';
import { type CliProcess, startCli } from './helpers/cli-process.js';
import { createDatabase } from './helpers/postgres.js';
import { createRotationTarget, type RotationTarget } from './helpers/rotation-target.js';
import { TestClock } from './helpers/test-server.js';

const PATH = '/api/v2/secret-rotations/postgres-credentials';
const ROOT_KEY = randomBytes(32).toString('base64');
const running: CliProcess[] = [];
afterAll(async () => {
  for (const p of running) {
    p.child.kill('SIGKILL');
    await p.exited;
  }
});

async function call(url: string, token: string | undefined, method: string, path: string, body?: unknown) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as any;
  if (res.status !== 200) throw new Error(`${method} ${path} -> ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** Bootstraps, makes a project, an app connection and a rotation; returns what the tests need. */
async function provision(url: string, target: RotationTarget) {
  const boot = await call(url, undefined, 'POST', '/api/v1/admin/bootstrap', {
    email: 'ops@example.test',
    password: 'S3cure-pass!',
    organization: 'rotations',
  });
  const token = boot.identity.credentials.token as string;
  const { project } = await call(url, token, 'POST', '/api/v2/workspace', {
    projectName: 'database',
    slug: 'database',
  });
  const { appConnection } = await call(
    url,
    token,
    'POST',
    '/api/v1/app-connections/postgres',
    target.connectionBody('db'),
  );
  const { secretRotation } = await call(url, token, 'POST', PATH, {
    name: 'db-credentials',
    projectId: project.id,
    connectionId: appConnection.id,
    environment: 'prod',
    secretPath: '/',
    rotationInterval: 1,
    parameters: { username1: target.usernames[0], username2: target.usernames[1] },
    secretsMapping: { username: 'DB_USER', password: 'DB_PASSWORD' },
  });
  return { token, projectId: project.id as string, rotationId: secretRotation.id as string };
}

async function secretsOf(url: string, token: string, projectId: string) {
  const { secrets } = await call(
    url,
    token,
    'GET',
    `/api/v3/secrets/raw?workspaceId=${projectId}&environment=prod&secretPath=/`,
  );
  return Object.fromEntries(secrets.map((s: any) => [s.secretKey, s.secretValue])) as Record<string, string>;
}

describe('secret rotation on replicas', () => {
  it('resumes a rotation whose server was killed with SIGKILL between the two phases', async () => {
    const databaseUrl = await createDatabase(inject('postgresAdminUrl'));
    const target = await createRotationTarget(inject('postgresAdminUrl'));
    const dataDir = mkdtempSync(join(tmpdir(), 'kms-rotation-crash-'));
    const start = async (env: Record<string, string> = {}) => {
      const p = startCli(['start', '--port', '0', '--data-dir', dataDir, '--database-url', databaseUrl], {
        ROOT_ENCRYPTION_KEY: ROOT_KEY,
        KMS_RATE_LIMIT: 'off',
        KMS_LOG: 'info',
        KMS_ROTATION_POLL_MS: '100',
        KMS_ROTATION_LEASE_SECONDS: '2',
        ...env,
      });
      running.push(p);
      const [, url] = await p.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      return { p, url: url! };
    };

    const first = await start();
    const { token, projectId, rotationId } = await provision(first.url, target);
    const before = await secretsOf(first.url, token, projectId);
    expect(before.DB_USER).toBe(target.usernames[0]);
    first.p.child.kill('SIGTERM');
    await first.p.exited;

    // This server pauses between the phases; it is killed there.
    const doomed = await start({ KMS_TEST_ROTATION_PHASE_PAUSE_MS: '60000' });
    const rotating = fetch(`${doomed.url}${PATH}/${rotationId}/rotate-secrets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    }).catch(() => 'connection closed');
    await doomed.p.waitFor(/phase 1 done/);
    doomed.p.child.kill('SIGKILL');
    await doomed.p.exited;
    expect(await rotating).toBe('connection closed');

    const kmsDb = new pg.Client({ connectionString: databaseUrl });
    await kmsDb.connect();
    try {
      const { rows } = await kmsDb.query(
        'SELECT pending_credentials, claimed_by, active_index FROM secret_rotations WHERE id = $1',
        [rotationId],
      );
      expect(rows[0].pending_credentials).not.toBeNull();
      expect(rows[0].claimed_by).not.toBeNull();
      expect(Number(rows[0].active_index)).toBe(0);
    } finally {
      await kmsDb.end();
    }
    // Meanwhile the app's credentials still work: only the user not in use was changed.
    expect(await target.canLogin(before.DB_USER!, before.DB_PASSWORD!)).toBe(true);

    const restarted = await start();
    let rotation: any;
    for (let i = 0; i < 150; i++) {
      rotation = (await call(restarted.url, token, 'GET', `${PATH}/${rotationId}`)).secretRotation;
      if (rotation.activeIndex === 1) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(rotation).toMatchObject({
      activeIndex: 1,
      rotationStatus: 'success',
      isLastRotationManual: false,
    });
    const after = await secretsOf(restarted.url, token, projectId);
    expect(after.DB_USER).toBe(target.usernames[1]);
    expect(await target.canLogin(after.DB_USER!, after.DB_PASSWORD!)).toBe(true);
    expect(await target.canLogin(before.DB_USER!, before.DB_PASSWORD!)).toBe(true);
    const { auditLogs } = await call(
      restarted.url,
      token,
      'GET',
      `/api/v1/audit-logs?projectId=${projectId}&eventType=secret-rotation-rotate-secrets&limit=100`,
    );
    const resumed = auditLogs.filter((l: any) => l.event.metadata.resumed === true);
    expect(resumed).toHaveLength(1);
    expect(resumed[0].actor.type).toBe('platform');
    expect(restarted.p.output()).toMatch(/resuming an unfinished rotation/);
    expect(restarted.p.output()).not.toContain(after.DB_PASSWORD);
  }, 90_000);

  it('rotates once per due time with two replicas running their schedulers', async () => {
    const databaseUrl = await createDatabase(inject('postgresAdminUrl'));
    const target = await createRotationTarget(inject('postgresAdminUrl'));
    const clock = new TestClock();
    const options = {
      databaseUrl,
      rootEncryptionKey: ROOT_KEY,
      rateLimit: false as const,
      now: clock.now,
      settings: { rotations: { pollIntervalMs: 20 } },
    };
    const replicas: RunningServer[] = [await startServer(options), await startServer(options)];
    try {
      const { token, projectId, rotationId } = await provision(replicas[0]!.url, target);
      for (let round = 1; round <= 3; round++) {
        const { secretRotation } = await call(replicas[1]!.url, token, 'GET', `${PATH}/${rotationId}`);
        clock.t = Date.parse(secretRotation.nextRotationAt) + 1000;
        let rotation = secretRotation;
        for (let i = 0; i < 100 && rotation.lastRotatedAt === secretRotation.lastRotatedAt; i++) {
          await new Promise((r) => setTimeout(r, 50));
          rotation = (await call(replicas[round % 2]!.url, token, 'GET', `${PATH}/${rotationId}`))
            .secretRotation;
        }
        // Give the other replica's scheduler several more polls to (wrongly) rotate again.
        await new Promise((r) => setTimeout(r, 300));
        const { auditLogs } = await call(
          replicas[0]!.url,
          token,
          'GET',
          `/api/v1/audit-logs?projectId=${projectId}&eventType=secret-rotation-rotate-secrets&limit=100`,
        );
        const scheduled = auditLogs.filter((l: any) => l.actor.type === 'platform');
        expect(scheduled, `round ${round}`).toHaveLength(round);
        const secrets = await secretsOf(replicas[0]!.url, token, projectId);
        expect(await target.canLogin(secrets.DB_USER!, secrets.DB_PASSWORD!)).toBe(true);
      }
    } finally {
      for (const r of replicas) await r.close();
    }
  }, 60_000);
});
