// Behaviour of the SDK against the real reference server over real HTTP (no mocks).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KmsClient, KmsNotFoundError } from '../src/index.js';
import { loadStartServer, type Provisioned, ReferenceServer } from './reference-server.js';

const REFERENCE = ['http://$', '{SHARED}'].join(''); // a literal KMS reference, not a template
const startServer = await loadStartServer();

describe('against the reference server', () => {
  let server: ReferenceServer;
  let env: Provisioned;
  const clients: KmsClient[] = [];

  function client(p: Provisioned = env, extra: Partial<ConstructorParameters<typeof KmsClient>[0]> = {}) {
    const kms = new KmsClient({
      siteUrl: p.url,
      auth: { universalAuth: { clientId: p.clientId, clientSecret: p.clientSecret } },
      ...extra,
    });
    clients.push(kms);
    return kms;
  }

  beforeAll(async () => {
    server = await ReferenceServer.start(startServer);
    env = await server.provision({ role: 'member' });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server?.close();
  });

  it('logs in lazily and lists secrets sorted by key', async () => {
    const kms = client();
    const { secrets, stale } = await kms.secrets.list({
      projectId: env.projectId,
      environment: 'dev',
      secretPath: '/app',
    });
    expect(stale).toBe(false);
    expect(secrets.map((s) => [s.secretKey, s.secretValue])).toEqual([
      ['DB_HOST', 'db.internal'],
      ['DB_PASS', 'p4ss'],
      ['DB_USER', 'app'],
    ]);
    expect(kms.auth.tokenInfo?.tokenType).toBe('Bearer');
  });

  it('a viewer reads values (decision D11) and can select the project by slug', async () => {
    const viewer = await server.provision({ role: 'viewer' });
    const { secrets } = await client(viewer).secrets.list({
      projectSlug: viewer.projectSlug,
      environment: 'dev',
      secretPath: '/app',
    });
    expect(secrets).toHaveLength(3);
  });

  it('creates, retrieves, updates (value, comment, rename) and deletes a secret', async () => {
    const kms = client();
    const loc = { projectId: env.projectId, environment: 'dev', secretPath: '/app' };
    const created = await kms.secrets.create({
      ...loc,
      secretName: 'API_KEY',
      secretValue: 'k-1',
      secretComment: 'c',
    });
    expect(created.secretKey).toBe('API_KEY');
    expect((await kms.secrets.retrieve({ ...loc, secretName: 'API_KEY' })).secretValue).toBe('k-1');
    const updated = await kms.secrets.update({
      ...loc,
      secretName: 'API_KEY',
      secretValue: 'k-2',
      secretComment: 'c2',
    });
    expect(updated.version).toBe(2);
    await kms.secrets.update({ ...loc, secretName: 'API_KEY', newSecretName: 'API_TOKEN' });
    const renamed = await kms.secrets.retrieve({ ...loc, secretName: 'API_TOKEN' });
    expect(renamed.secretValue).toBe('k-2');
    expect(renamed.secretComment).toBe('c2');
    await expect(kms.secrets.retrieve({ ...loc, secretName: 'API_KEY' })).rejects.toBeInstanceOf(
      KmsNotFoundError,
    );
    const deleted = await kms.secrets.delete({ ...loc, secretName: 'API_TOKEN' });
    expect(deleted.secretKey).toBe('API_TOKEN');
    const err = await kms.secrets.retrieve({ ...loc, secretName: 'API_TOKEN' }).catch((e) => e);
    expect(err).toBeInstanceOf(KmsNotFoundError);
    expect(err.requestId).toBeTruthy();
  });

  it('batch create, update and delete', async () => {
    const kms = client();
    const loc = { projectId: env.projectId, environment: 'dev', secretPath: '/' };
    const created = await kms.secrets.batch.create({
      ...loc,
      secrets: [
        { secretKey: 'B1', secretValue: 'one' },
        { secretKey: 'B2', secretValue: 'two' },
      ],
    });
    expect(created.map((s) => s.secretPath)).toEqual(['/', '/']);
    await kms.secrets.batch.update({ ...loc, secrets: [{ secretKey: 'B1', secretValue: 'uno' }] });
    expect((await kms.secrets.retrieve({ ...loc, secretName: 'B1' })).secretValue).toBe('uno');
    const deleted = await kms.secrets.batch.delete({
      ...loc,
      secrets: [{ secretKey: 'B1' }, { secretKey: 'B2' }],
    });
    expect(deleted).toHaveLength(2);
    expect((await kms.secrets.list(loc)).secrets.map((s) => s.secretKey)).not.toContain('B1');
  });

  it('folders: create, list, update, delete', async () => {
    const kms = client();
    const loc = { projectId: env.projectId, environment: 'dev' };
    const folder = await kms.folders.create({ ...loc, name: 'svc_a', path: '/' });
    expect(folder.name).toBe('svc_a');
    expect((await kms.folders.list({ ...loc, path: '/' })).map((f) => f.name)).toEqual(
      expect.arrayContaining(['app', 'svc_a']),
    );
    const renamed = await kms.folders.update({ ...loc, folderId: folder.id, name: 'svc_b', path: '/' });
    expect(renamed.name).toBe('svc_b');
    await kms.folders.delete({ ...loc, folderName: 'svc_b', path: '/' });
    expect((await kms.folders.list({ ...loc, path: '/' })).map((f) => f.name)).not.toContain('svc_b');
  });

  it('recursive lists de-duplicate by key and reference expansion is on by default', async () => {
    const p = await server.provision({ role: 'member' }, { SHARED: 'root', URL: REFERENCE }, '/');
    const kms = client(p);
    await kms.folders.create({ projectId: p.projectId, environment: 'dev', name: 'sub' });
    await kms.secrets.create({
      projectId: p.projectId,
      environment: 'dev',
      secretPath: '/sub',
      secretName: 'SHARED',
      secretValue: 'sub',
    });
    const { secrets } = await kms.secrets.list({
      projectId: p.projectId,
      environment: 'dev',
      recursive: true,
    });
    expect(secrets.filter((s) => s.secretKey === 'SHARED')).toHaveLength(1);
    expect(secrets.find((s) => s.secretKey === 'URL')?.secretValue).toBe('http://root');
    const raw = await kms.secrets.list({
      projectId: p.projectId,
      environment: 'dev',
      expandSecretReferences: false,
    });
    expect(raw.secrets.find((s) => s.secretKey === 'URL')?.secretValue).toBe(REFERENCE);
  });

  it('imports: local secrets beat imports, earlier imports beat later ones', async () => {
    const p = await server.provision({ role: 'member' }, { LOCAL: 'dev-local', X: 'dev-x' }, '/');
    await server.admin('POST', '/api/v3/secrets/batch/raw', {
      workspaceId: p.projectId,
      environment: 'staging',
      secretPath: '/',
      secrets: [
        { secretKey: 'X', secretValue: 'staging-x' },
        { secretKey: 'Y', secretValue: 'staging-y' },
      ],
    });
    await server.admin('POST', '/api/v3/secrets/batch/raw', {
      workspaceId: p.projectId,
      environment: 'prod',
      secretPath: '/',
      secrets: [
        { secretKey: 'Y', secretValue: 'prod-y' },
        { secretKey: 'Z', secretValue: 'prod-z' },
      ],
    });
    for (const environment of ['staging', 'prod']) {
      await server.admin('POST', '/api/v1/secret-imports', {
        workspaceId: p.projectId,
        environment: 'dev',
        path: '/',
        import: { environment, path: '/' },
      });
    }
    const { secrets } = await client(p).secrets.list({
      projectId: p.projectId,
      environment: 'dev',
      includeImports: true,
    });
    expect(secrets.map((s) => [s.secretKey, s.secretValue])).toEqual([
      ['LOCAL', 'dev-local'],
      ['X', 'dev-x'],
      ['Y', 'staging-y'],
      ['Z', 'prod-z'],
    ]);
  });

  it('attachToProcessEnv keeps existing variables unless overrideEnv', async () => {
    const p = await server.provision(
      { role: 'viewer' },
      { KMS_SDK_IT_A: 'from-kms', KMS_SDK_IT_B: 'from-kms' },
      '/',
    );
    process.env.KMS_SDK_IT_A = 'preset';
    delete process.env.KMS_SDK_IT_B;
    const kms = client(p);
    await kms.secrets.list({ projectId: p.projectId, environment: 'dev', attachToProcessEnv: true });
    expect(process.env.KMS_SDK_IT_A).toBe('preset');
    expect(process.env.KMS_SDK_IT_B).toBe('from-kms');
    await kms.secrets.list({
      projectId: p.projectId,
      environment: 'dev',
      attachToProcessEnv: true,
      overrideEnv: true,
    });
    expect(process.env.KMS_SDK_IT_A).toBe('from-kms');
    delete process.env.KMS_SDK_IT_A;
    delete process.env.KMS_SDK_IT_B;
  });

  it('cache: serves hits, invalidates on writes, revalidates with If-None-Match', async () => {
    const statuses: number[] = [];
    const countingFetch: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (String(input).includes('/v3/secrets/raw?')) statuses.push(response.status);
      return response;
    };
    const kms = client(env, { cache: { ttl: 200 }, fetch: countingFetch });
    const loc = { projectId: env.projectId, environment: 'dev', secretPath: '/app' };
    await kms.secrets.list(loc);
    await kms.secrets.list(loc);
    expect(statuses).toEqual([200]);
    await kms.secrets.create({ ...loc, secretName: 'CACHED_NEW', secretValue: 'v' });
    expect((await kms.secrets.list(loc)).secrets.map((s) => s.secretKey)).toContain('CACHED_NEW');
    expect(statuses).toEqual([200, 200]);
    await new Promise((r) => setTimeout(r, 250));
    await kms.secrets.list(loc);
    expect(statuses).toEqual([200, 200, 304]);
    await kms.secrets.delete({ ...loc, secretName: 'CACHED_NEW' });
  });

  it('cache.revalidate: every read asks with If-None-Match; unchanged is a 304, a change is seen at once', async () => {
    const statuses: number[] = [];
    const countingFetch: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (String(input).includes('/v3/secrets/raw?')) statuses.push(response.status);
      return response;
    };
    const kms = client(env, { cache: { revalidate: true }, fetch: countingFetch });
    const loc = { projectId: env.projectId, environment: 'dev', secretPath: '/app' };
    const first = await kms.secrets.list(loc);
    const second = await kms.secrets.list(loc);
    expect(second.secrets).toEqual(first.secrets);
    expect(statuses).toEqual([200, 304]);
    // A write by another client: this client's cache does not know, the next read sees it anyway.
    const other = client(env);
    await other.secrets.create({ ...loc, secretName: 'REVALIDATED_NEW', secretValue: 'v' });
    expect((await kms.secrets.list(loc)).secrets.map((s) => s.secretKey)).toContain('REVALIDATED_NEW');
    expect(statuses).toEqual([200, 304, 200]);
    await other.secrets.delete({ ...loc, secretName: 'REVALIDATED_NEW' });
    await other.close();
  });

  it('attachToProcessEnv fills an empty variable (empty counts as unset, as in kms-go)', async () => {
    const p = await server.provision({ role: 'viewer' }, { KMS_SDK_IT_EMPTY: 'from-kms' }, '/');
    process.env.KMS_SDK_IT_EMPTY = '';
    await client(p).secrets.list({ projectId: p.projectId, environment: 'dev', attachToProcessEnv: true });
    expect(process.env.KMS_SDK_IT_EMPTY).toBe('from-kms');
    delete process.env.KMS_SDK_IT_EMPTY;
  });

  it('versions lists the history newest first; rollback writes an old value as a new version and refreshes the cache', async () => {
    const kms = client(env, { cache: { ttl: 60_000 } });
    const loc = { projectId: env.projectId, environment: 'dev', secretPath: '/app' };
    const created = await kms.secrets.create({ ...loc, secretName: 'ROLLED', secretValue: 'first' });
    await kms.secrets.update({ ...loc, secretName: 'ROLLED', secretValue: 'second' });
    expect((await kms.secrets.retrieve({ ...loc, secretName: 'ROLLED' })).secretValue).toBe('second');
    const versions = await kms.secrets.versions({ secretId: created.id });
    expect(versions.map((v) => [v.version, v.secretValue])).toEqual([
      [2, 'second'],
      [1, 'first'],
    ]);
    expect(JSON.stringify(versions)).not.toContain('first');
    expect(
      (await kms.secrets.versions({ secretId: created.id, offset: 1, limit: 1 })).map((v) => v.version),
    ).toEqual([1]);
    const rolled = await kms.secrets.rollback({ secretId: created.id, version: 1 });
    expect(rolled).toMatchObject({ version: 3, secretValue: 'first', secretPath: '/app' });
    // The cached read of the folder was dropped by the rollback.
    expect((await kms.secrets.retrieve({ ...loc, secretName: 'ROLLED' })).secretValue).toBe('first');
    await expect(kms.secrets.rollback({ secretId: created.id, version: 9 })).rejects.toBeInstanceOf(
      KmsNotFoundError,
    );
    await expect(kms.secrets.rollback({ secretId: created.id, version: 0 })).rejects.toMatchObject({
      name: 'KmsValidationError',
      field: 'version',
    });
    await expect(kms.secrets.versions({ secretId: created.id, limit: 101 })).rejects.toMatchObject({
      name: 'KmsValidationError',
      field: 'limit',
    });
    await expect(kms.secrets.versions({ secretId: '' })).rejects.toMatchObject({ field: 'secretId' });
    await kms.secrets.delete({ ...loc, secretName: 'ROLLED' });
  });

  it('clientSecret as a function is read at every login, so a rotated secret is the one sent', async () => {
    let current = env.clientSecret;
    let calls = 0;
    const kms = client(env, {
      auth: {
        universalAuth: {
          clientId: env.clientId,
          clientSecret: () => {
            calls++;
            return current;
          },
        },
      },
    });
    const loc = { projectId: env.projectId, environment: 'dev', secretPath: '/app' };
    expect((await kms.secrets.list(loc)).secrets).toHaveLength(3);
    expect(calls).toBe(1);
    expect(JSON.stringify(kms)).not.toContain(env.clientSecret);
    // An empty answer is a typed error naming the field, at the next login.
    current = '';
    await kms.auth.revoke();
    await expect(kms.secrets.list(loc)).rejects.toMatchObject({
      name: 'KmsValidationError',
      field: 'clientSecret',
    });
    current = env.clientSecret;
    expect((await kms.secrets.list(loc)).secrets).toHaveLength(3);
    expect(calls).toBe(3);
  });

  it('close() revokes the token: the server refuses it afterwards', async () => {
    const kms = new KmsClient({
      siteUrl: env.url,
      auth: { universalAuth: { clientId: env.clientId, clientSecret: env.clientSecret } },
    });
    const token = await kms.auth.getAccessToken();
    await kms.close();
    const response = await fetch(
      `${env.url}/api/v3/secrets/raw?workspaceId=${env.projectId}&environment=dev`,
      {
        headers: { authorization: `Bearer ${token}` },
      },
    );
    expect(response.status).toBe(401);
  });

  describe('token lifecycle with short TTLs (15 s of reads)', () => {
    async function readLoop(
      kms: KmsClient,
      p: Provisioned,
      ms: number,
      pauseMs: number,
      beforeRead?: (iteration: number) => Promise<void>,
    ) {
      let ok = 0;
      let iteration = 0;
      const failures: unknown[] = [];
      const until = Date.now() + ms;
      while (Date.now() < until) {
        await beforeRead?.(iteration++);
        try {
          await kms.secrets.list({ projectId: p.projectId, environment: 'dev', secretPath: '/app' });
          ok++;
        } catch (error) {
          failures.push(error);
        }
        await new Promise((r) => setTimeout(r, pauseMs));
      }
      return { ok, failures };
    }

    function observe(kms: KmsClient) {
      const seen = { logins: 0, renewals: 0, reasons: [] as string[], errors: 0 };
      kms.on('tokenRefreshed', (e) => (e.kind === 'login' ? seen.logins++ : seen.renewals++));
      kms.on('reauthenticated', (e) => seen.reasons.push(e.reason));
      kms.on('error', () => seen.errors++);
      return seen;
    }

    it('TTL 2 s / max TTL 5 s / uses limit 3: zero failed calls, logins and renewals as planned', async () => {
      const p = await server.provision({ accessTokenTTL: 2, accessTokenMaxTTL: 5, role: 'viewer' });
      const p3 = await server.provision({
        accessTokenTTL: 2,
        accessTokenMaxTTL: 5,
        accessTokenNumUsesLimit: 3,
        role: 'viewer',
      });
      const kms = client(p);
      const seen = observe(kms);
      // Uses limit 3, known to the client: it logs in again before a 4th use.
      const counted = new KmsClient({
        siteUrl: p3.url,
        auth: {
          universalAuth: { clientId: p3.clientId, clientSecret: p3.clientSecret, accessTokenNumUsesLimit: 3 },
        },
      });
      clients.push(counted);
      const seenCounted = observe(counted);
      // Uses limit 3, unknown to the client: the server's refusals (401 on a read, or on the renewal)
      // trigger transparent re-logins.
      const blind = client(p3);
      const seenBlind = observe(blind);
      // Long TTL, token revoked behind the client's back every 10th read: each revocation costs exactly one
      // transparent re-login on the next read (401 -> login -> retry).
      const revoked = client(env);
      const seenRevoked = observe(revoked);
      let revocations = 0;
      const revokeBehindItsBack = async (iteration: number) => {
        if (iteration === 0 || iteration % 10 !== 0) return;
        const token = await revoked.auth.getAccessToken();
        const response = await fetch(`${env.url}/api/v1/auth/token/revoke`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ accessToken: token }),
        });
        expect(response.status).toBe(200);
        revocations++;
      };

      const [a, b, c, d] = await Promise.all([
        readLoop(kms, p, 15_000, 100),
        readLoop(counted, p3, 15_000, 250),
        readLoop(blind, p3, 15_000, 250),
        readLoop(revoked, env, 15_000, 100, revokeBehindItsBack),
      ]);
      expect(a.failures).toEqual([]);
      expect(b.failures).toEqual([]);
      expect(c.failures).toEqual([]);
      expect(d.failures).toEqual([]);
      // Plan (docs/token-lifecycle.md): usable lifetime 1 s (JWT exp has whole-second resolution), buffer
      // 0.2 s: login at 0, renewals at 0.8, 1.6 and 2.4 s, a login at 3.2 s (a renewal would pass the
      // 5 s max TTL), and so on: one login and three renewals per 3.2 s.
      const cycles = 15_000 / 3_200;
      expect(seen.logins).toBeGreaterThanOrEqual(Math.floor(cycles));
      // One more login is tolerated: on a loaded CI machine a renewal can land after the whole-second JWT
      // expiry, and the client then falls back to a login by design (counted in `reauthenticated`).
      expect(seen.logins).toBeLessThanOrEqual(Math.ceil(cycles) + 2);
      expect(seen.renewals).toBeGreaterThanOrEqual(3 * Math.floor(cycles));
      expect(seen.renewals).toBeLessThanOrEqual(3 * Math.ceil(cycles) + 3);
      console.info(
        `15 s of reads: ${a.ok} reads, ${seen.logins} logins, ${seen.renewals} renewals (TTL 2/max 5); ` +
          `${b.ok} reads, ${seenCounted.logins} logins (uses limit 3, counted); ` +
          `${c.ok} reads, ${seenBlind.logins} logins (uses limit 3, not told); ` +
          `${d.ok} reads, ${revocations} revocations, ${seenRevoked.logins} logins (revoked behind its back)`,
      );
      expect(seen.reasons.every((r) => r === 'maxTtl')).toBe(true);
      expect(seen.errors).toBe(0);
      // Plan: one login per three reads (plus at most one the timer starts after the last read).
      expect(seenCounted.logins).toBeGreaterThanOrEqual(Math.ceil(b.ok / 3));
      expect(seenCounted.logins).toBeLessThanOrEqual(Math.ceil(b.ok / 3) + 1);
      expect(seenCounted.reasons.every((r) => r === 'usesLimit')).toBe(true);
      expect(seenBlind.logins).toBeGreaterThanOrEqual(Math.ceil(c.ok / 3));
      // The first refusal teaches the client the limit; later re-logins come before the token runs out.
      expect(seenBlind.reasons.every((r) => ['unauthorized', 'renewFailed', 'usesLimit'].includes(r))).toBe(
        true,
      );
      // Plan: one initial login plus exactly one re-login per revocation, each answered by a 401.
      expect(revocations).toBeGreaterThan(5);
      expect(seenRevoked.reasons).toEqual(Array(revocations).fill('unauthorized'));
      expect(seenRevoked.logins).toBe(revocations + 1);
    }, 40_000);
  });
});

describe('uses limit unknown to the client, concurrent readers', () => {
  it('4 concurrent readers on tokens of 3 uses: no failed read, no login storm', async () => {
    const server = await ReferenceServer.start(startServer);
    try {
      const p = await server.provision({ accessTokenNumUsesLimit: 3, role: 'viewer' });
      const kms = new KmsClient({
        siteUrl: p.url,
        auth: { universalAuth: { clientId: p.clientId, clientSecret: p.clientSecret } },
      });
      let logins = 0;
      kms.on('tokenRefreshed', (e) => e.kind === 'login' && logins++);
      const READS = 40;
      const reader = async () => {
        const failures: unknown[] = [];
        for (let i = 0; i < READS; i++) {
          try {
            await kms.secrets.list({ projectId: p.projectId, environment: 'dev', secretPath: '/app' });
          } catch (error) {
            failures.push(error);
          }
        }
        return failures;
      };
      const failures = (await Promise.all([reader(), reader(), reader(), reader()])).flat();
      expect(failures).toEqual([]);
      // 160 reads need at least 54 tokens of 3 uses; a storm would be several logins per exhausted token.
      const reads = 4 * READS;
      expect(logins).toBeGreaterThanOrEqual(Math.ceil(reads / 3));
      expect(logins).toBeLessThanOrEqual(Math.ceil((reads / 3) * 1.5));
      await kms.close();
    } finally {
      await server.close();
    }
  }, 30_000);
});

describe('against a rate-limited reference server', () => {
  it('rides out 429s by honouring Retry-After, with no failed call', async () => {
    const server = await ReferenceServer.start(startServer, { windowSeconds: 1, secretsLimit: 3 });
    try {
      const p = await server.provision({ role: 'viewer' }, { A: 'a' }, '/');
      const statuses: number[] = [];
      const kms = new KmsClient({
        siteUrl: p.url,
        auth: { universalAuth: { clientId: p.clientId, clientSecret: p.clientSecret } },
        fetch: async (input, init) => {
          const response = await fetch(input, init);
          statuses.push(response.status);
          return response;
        },
      });
      const started = Date.now();
      for (let i = 0; i < 8; i++) {
        const { secrets } = await kms.secrets.list({ projectId: p.projectId, environment: 'dev' });
        expect(secrets.map((s) => s.secretKey)).toEqual(['A']);
      }
      // 8 reads at 3 per 1 s window need at least two window boundaries; the SDK waited them out.
      expect(statuses).toContain(429);
      expect(Date.now() - started).toBeGreaterThan(900);
      await kms.close();
    } finally {
      await server.close();
    }
  });
});
