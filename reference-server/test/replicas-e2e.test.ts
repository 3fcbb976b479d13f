// Two `kms-server start` processes on one PostgreSQL database, as deployed behind a load balancer:
// concurrent start on an empty database, writes on one and reads on the other, the last token use
// raced across both, SIGKILL of one under SDK traffic, SIGTERM, and `audit verify` afterwards.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KmsClient } from '@hanzo/kms';
import { ApiClient } from '../src/provisioning/api-client.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type CliProcess, runCli, startCli } from './helpers/cli-process.js';
import { createDatabase } from './helpers/postgres.js';
import { roundRobin } from './helpers/replicas.js';

const ROOT_KEY = randomBytes(32).toString('base64');
const dataDir = mkdtempSync(join(tmpdir(), 'kms-replicas-'));
let databaseUrl: string;
const running: CliProcess[] = [];

function env(extra: Record<string, string> = {}) {
  return {
    ROOT_ENCRYPTION_KEY: ROOT_KEY,
    KMS_DATA_DIR: dataDir,
    KMS_RATE_LIMIT: 'off',
    KMS_DATABASE_URL: databaseUrl,
    ...extra,
  };
}

async function startReplica(): Promise<{ process: CliProcess; url: string }> {
  const child = startCli(['start', '--port', '0'], env());
  running.push(child);
  const [, url] = (await child.waitFor(
    /listening on (http:\/\/127\.0\.0\.1:\d+)/,
    30_000,
  )) as RegExpMatchArray;
  return { process: child, url: url as string };
}

/** The API's own client (src/provisioning/api-client.ts). */
function call(url: string, method: string, path: string, token?: string, body?: unknown) {
  return new ApiClient(url, token).request<any>(method, path, body);
}

let a: { process: CliProcess; url: string };
let b: { process: CliProcess; url: string };
let admin: string;
let orgId: string;
let projectId: string;

beforeAll(async () => {
  databaseUrl = await createDatabase(inject('postgresAdminUrl'));
  // Both replicas start at the same moment on the empty database: both come up, one migrates.
  [a, b] = await Promise.all([startReplica(), startReplica()]);
  const boot = await call(a.url, 'POST', '/api/v1/admin/bootstrap', undefined, {
    email: 'ops@example.test',
    password: 'S3cure-pass!',
    organization: 'ha',
  });
  expect(boot.status).toBe(200);
  admin = boot.body.identity.credentials.token;
  orgId = boot.body.organization.id;
}, 60_000);

afterAll(async () => {
  for (const p of running) p.child.kill('SIGKILL');
  await Promise.all(running.map((p) => p.exited));
  rmSync(dataDir, { recursive: true, force: true });
});

describe('two replicas on one PostgreSQL', () => {
  it('came up together on an empty database and answer as one server', async () => {
    // The admin token minted through A works on B: one signing key, in the database.
    const projects = await call(b.url, 'GET', '/api/v1/workspace', admin);
    expect(projects.status).toBe(200);
    const created = await call(a.url, 'POST', '/api/v2/workspace', admin, {
      projectName: 'shop',
      slug: 'shop',
    });
    expect(created.status).toBe(200);
    projectId = created.body.project.id;
    const write = await call(a.url, 'POST', '/api/v3/secrets/batch/raw', admin, {
      workspaceId: projectId,
      environment: 'dev',
      secretPath: '/',
      secrets: [
        { secretKey: 'DB_URL', secretValue: 'postgres://app@db/shop' },
        { secretKey: 'API_KEY', secretValue: 'k-1' },
      ],
    });
    expect(write.status).toBe(200);
    const read = await call(
      b.url,
      'GET',
      `/api/v3/secrets/raw?workspaceId=${projectId}&environment=dev`,
      admin,
    );
    expect(read.status).toBe(200);
    expect(read.body.secrets.map((s: { secretKey: string }) => s.secretKey).sort()).toEqual([
      'API_KEY',
      'DB_URL',
    ]);
    // An update on B is what A lists next (no per-process listing cache survives a write elsewhere).
    const etag = await fetch(`${a.url}/api/v3/secrets/raw?workspaceId=${projectId}&environment=dev`, {
      headers: { authorization: `Bearer ${admin}` },
    }).then((r) => r.headers.get('etag'));
    await call(b.url, 'PATCH', '/api/v3/secrets/raw/API_KEY', admin, {
      workspaceId: projectId,
      environment: 'dev',
      secretValue: 'k-2',
    });
    const after = await fetch(`${a.url}/api/v3/secrets/raw?workspaceId=${projectId}&environment=dev`, {
      headers: { authorization: `Bearer ${admin}`, 'if-none-match': etag ?? '' },
    });
    expect(after.status).toBe(200);
    const body = (await after.json()) as { secrets: { secretKey: string; secretValue: string }[] };
    expect(body.secrets.find((s) => s.secretKey === 'API_KEY')?.secretValue).toBe('k-2');
  });

  it('counts the last uses of a token exactly when both replicas race on them', async () => {
    const { identity } = (
      await call(a.url, 'POST', '/api/v1/identities', admin, {
        name: 'racer',
        organizationId: orgId,
      })
    ).body;
    const ua = await call(b.url, 'POST', `/api/v1/auth/universal-auth/identities/${identity.id}`, admin, {
      accessTokenNumUsesLimit: 5,
    });
    const secret = await call(
      a.url,
      'POST',
      `/api/v1/auth/universal-auth/identities/${identity.id}/client-secrets`,
      admin,
      {},
    );
    await call(a.url, 'POST', `/api/v2/workspace/${projectId}/identity-memberships/${identity.id}`, admin, {
      role: 'viewer',
    });
    const login = await call(b.url, 'POST', '/api/v1/auth/universal-auth/login', undefined, {
      clientId: ua.body.identityUniversalAuth.clientId,
      clientSecret: secret.body.clientSecret,
    });
    const token = login.body.accessToken as string;
    const path = `/api/v3/secrets/raw?workspaceId=${projectId}&environment=dev`;
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => call(i % 2 ? a.url : b.url, 'GET', path, token)),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(5);
    expect(new Set(results.filter((r) => r.status !== 200).map((r) => r.status))).toEqual(new Set([401]));
  });

  it('keeps every read answering and loses no acknowledged write when one replica is SIGKILLed', async () => {
    const balancer = await roundRobin([a.url, b.url]);
    const { body } = await call(a.url, 'POST', '/api/v1/identities', admin, {
      name: 'reader',
      organizationId: orgId,
    });
    const ua = await call(
      a.url,
      'POST',
      `/api/v1/auth/universal-auth/identities/${body.identity.id}`,
      admin,
      {},
    );
    const cs = await call(
      a.url,
      'POST',
      `/api/v1/auth/universal-auth/identities/${body.identity.id}/client-secrets`,
      admin,
      {},
    );
    await call(
      a.url,
      'POST',
      `/api/v2/workspace/${projectId}/identity-memberships/${body.identity.id}`,
      admin,
      {
        role: 'viewer',
      },
    );
    const sdk = new KmsClient({
      siteUrl: balancer.url,
      auth: {
        universalAuth: {
          clientId: ua.body.identityUniversalAuth.clientId,
          clientSecret: cs.body.clientSecret,
        },
      },
    });
    let reads = 0;
    let failedReads = 0;
    const acknowledged: string[] = [];
    let stop = false;
    const readers = Array.from({ length: 4 }, async () => {
      while (!stop) {
        try {
          const { secrets } = await sdk.secrets.list({ projectId, environment: 'dev', secretPath: '/' });
          if (!secrets.some((s) => s.secretKey === 'DB_URL')) failedReads++;
          reads++;
        } catch {
          failedReads++;
        }
      }
    });
    // Writes go to the replica about to die; the ones it acknowledged must survive it.
    const writer = (async () => {
      for (let i = 0; !stop; i++) {
        const key = `W_${i}`;
        const r = await fetch(`${a.url}/api/v3/secrets/raw/${key}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
          body: JSON.stringify({ workspaceId: projectId, environment: 'dev', secretValue: `v${i}` }),
        }).catch(() => undefined);
        if (r?.status === 200) acknowledged.push(key);
        if (!r) break;
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 700));
    a.process.child.kill('SIGKILL');
    await a.process.exited;
    await new Promise((resolve) => setTimeout(resolve, 700));
    stop = true;
    await Promise.all([...readers, writer]);
    await sdk.close();
    await balancer.close();
    expect(reads).toBeGreaterThan(10);
    expect(failedReads).toBe(0);
    expect(acknowledged.length).toBeGreaterThan(0);
    const listed = await call(
      b.url,
      'GET',
      `/api/v3/secrets/raw?workspaceId=${projectId}&environment=dev`,
      admin,
    );
    const keys = new Set(listed.body.secrets.map((s: { secretKey: string }) => s.secretKey));
    for (const key of acknowledged) expect(keys.has(key)).toBe(true);
  });

  it('stops on SIGTERM: exits 0 and closes its pool; the other replica keeps answering', async () => {
    const c = await startReplica();
    expect((await call(c.url, 'GET', '/api/status')).status).toBe(200);
    const started = Date.now();
    c.process.child.kill('SIGTERM');
    expect(await c.process.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    await expect(fetch(`${c.url}/api/status`)).rejects.toThrow();
    expect((await call(b.url, 'GET', '/api/v1/workspace', admin)).status).toBe(200);
  });

  it('keeps no data in --data-dir, and takes KMS_DATABASE_URL over DATABASE_URL', async () => {
    expect(existsSync(join(dataDir, 'kms.db'))).toBe(false);
    const both = startCli(['start', '--port', '0'], {
      ...env(),
      DATABASE_URL: 'postgres://nobody@127.0.0.1:1/nothing',
    });
    running.push(both);
    const [, bothUrl] = (await both.waitFor(
      /listening on (http:\/\/127\.0\.0\.1:\d+)/,
      30_000,
    )) as RegExpMatchArray;
    expect((await call(bothUrl as string, 'GET', '/api/v2/workspace/shop', admin)).status).toBe(200);
    const { KMS_DATABASE_URL: _, ...withoutKms } = env();
    const plain = startCli(['start', '--port', '0'], { ...withoutKms, DATABASE_URL: databaseUrl });
    running.push(plain);
    const [, plainUrl] = (await plain.waitFor(
      /listening on (http:\/\/127\.0\.0\.1:\d+)/,
      30_000,
    )) as RegExpMatchArray;
    expect((await call(plainUrl as string, 'GET', '/api/v2/workspace/shop', admin)).status).toBe(200);
    // The printed location never shows the database password.
    expect(plain.output()).not.toContain(new URL(databaseUrl).password);
  });

  it('verifies the audit chain written by every replica', async () => {
    const result = await runCli(['audit', 'verify', '--database-url', databaseUrl], {
      ROOT_ENCRYPTION_KEY: ROOT_KEY,
      KMS_DATA_DIR: dataDir,
    });
    expect(result.output).toMatch(/audit chain ok: \d+ entries/);
    expect(result.code).toBe(0);
  });
});
