// One contract suite, two backends: the reference server (real HTTP) and the msw handlers of
// `@hanzo/kms-testing/msw`. Every case runs on both, through the SDK and through raw fetch, so the
// emulation answers what the server answers (statuses, error names, envelopes, token rules).
import { KmsClient, KmsNotFoundError, KmsPermissionDeniedError } from '@hanzo/kms';
import { setupServer } from 'msw/node';
import { afterEach, describe, expect, it } from 'vitest';
import { startKmsTestServer } from '../src/index.js';
import { kmsFaults, kmsHandlers } from '../src/msw.js';

interface Spec {
  role?: 'viewer' | 'member' | 'admin';
  accessTokenTTL?: number;
  accessTokenNumUsesLimit?: number;
  /** environment → path → values */
  secrets: Record<string, Record<string, Record<string, string>>>;
}

interface Backend {
  siteUrl: string;
  clientId: string;
  clientSecret: string;
  projectId: string;
  projectSlug: string;
  /** Adds fault handlers (msw only; the real server has none). */
  faults?: (...handlers: Parameters<ReturnType<typeof setupServer>['use']>) => void;
  close(): Promise<void>;
}

const backends: Record<string, (spec: Spec) => Promise<Backend>> = {
  'reference server': async (spec) => {
    const kms = await startKmsTestServer({
      projectSlug: 'contract',
      secrets: spec.secrets,
      identity: {
        role: spec.role ?? 'viewer',
        ...(spec.accessTokenTTL ? { accessTokenTTL: spec.accessTokenTTL } : {}),
        ...(spec.accessTokenNumUsesLimit ? { accessTokenNumUsesLimit: spec.accessTokenNumUsesLimit } : {}),
      },
    });
    return { siteUrl: kms.url, ...kms, close: () => kms.close() };
  },
  'msw handlers': async (spec) => {
    const siteUrl = 'http://kms.test';
    const server = setupServer(
      ...kmsHandlers({
        siteUrl,
        clientId: 'contract-client',
        clientSecret: 'contract-secret',
        role: spec.role ?? 'viewer',
        ...(spec.accessTokenTTL ? { accessTokenTTL: spec.accessTokenTTL } : {}),
        ...(spec.accessTokenNumUsesLimit ? { accessTokenNumUsesLimit: spec.accessTokenNumUsesLimit } : {}),
        secrets: Object.entries(spec.secrets).flatMap(([environment, paths]) =>
          Object.entries(paths).map(([secretPath, values]) => ({
            projectSlug: 'contract',
            environment,
            secretPath,
            values,
          })),
        ),
      }),
    );
    server.listen({ onUnhandledRequest: 'error' });
    return {
      siteUrl,
      clientId: 'contract-client',
      clientSecret: 'contract-secret',
      projectId: 'proj-contract',
      projectSlug: 'contract',
      faults: (...handlers) => server.use(...handlers),
      close: async () => server.close(),
    };
  },
};

const SECRETS = {
  dev: { '/app': { DB_URL: 'postgres://app@db/app', API_KEY: 'k-1' }, '/app/jobs': { QUEUE: 'q' } },
};

describe.each(Object.keys(backends))('KMS contract: %s', (name) => {
  const open: Backend[] = [];
  const start = async (spec: Spec) => {
    const backend = await (backends[name] as (s: Spec) => Promise<Backend>)(spec);
    open.push(backend);
    return backend;
  };
  afterEach(async () => {
    await Promise.all(open.splice(0).map((b) => b.close()));
  });
  const sdk = (b: Backend, extra: Partial<ConstructorParameters<typeof KmsClient>[0]> = {}) =>
    new KmsClient({
      siteUrl: b.siteUrl,
      auth: { universalAuth: { clientId: b.clientId, clientSecret: b.clientSecret } },
      retry: { initialDelay: 5 },
      ...extra,
    });
  const login = async (b: Backend, clientSecret = b.clientSecret) => {
    const res = await fetch(`${b.siteUrl}/api/v1/auth/universal-auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ clientId: b.clientId, clientSecret }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const list = (b: Backend, token: string, query: Record<string, string>) =>
    fetch(`${b.siteUrl}/api/v3/secrets/raw?${new URLSearchParams(query)}`, {
      headers: { authorization: `Bearer ${token}` },
    }).then(async (res) => ({ status: res.status, body: (await res.json()) as Record<string, any> }));

  it('logs in with Universal Auth; a wrong client secret is 401 with the API envelope', async () => {
    const b = await start({ secrets: SECRETS });
    const good = await login(b);
    expect(good.status).toBe(200);
    expect(good.body).toMatchObject({ tokenType: 'Bearer', expiresIn: 3600, accessTokenMaxTTL: 86400 });
    expect(typeof good.body.accessToken).toBe('string');
    const bad = await login(b, 'wrong');
    expect(bad.status).toBe(401);
    expect(bad.body).toMatchObject({
      statusCode: 401,
      error: 'UnauthorizedError',
      message: 'Invalid credentials',
    });
    expect(bad.body.reqId).toEqual(expect.any(String));
  });

  it('lists a folder, recursively, by project id or slug, through the SDK', async () => {
    const b = await start({ secrets: SECRETS });
    const kms = sdk(b);
    const byId = await kms.secrets.list({ projectId: b.projectId, environment: 'dev', secretPath: '/app' });
    expect(byId.secrets.map((s) => [s.secretKey, s.secretValue])).toEqual([
      ['API_KEY', 'k-1'],
      ['DB_URL', 'postgres://app@db/app'],
    ]);
    expect(byId.secrets[0]).toMatchObject({
      environment: 'dev',
      secretPath: '/app',
      version: 1,
      type: 'shared',
    });
    const bySlug = await kms.secrets.list({
      projectSlug: b.projectSlug,
      environment: 'dev',
      secretPath: '/app',
      recursive: true,
    });
    expect(bySlug.secrets.map((s) => s.secretKey)).toEqual(['API_KEY', 'DB_URL', 'QUEUE']);
    await kms.close();
  });

  it('answers 404 for an unknown project, environment, folder or secret', async () => {
    const b = await start({ secrets: SECRETS });
    const { body } = await login(b);
    const token = body.accessToken as string;
    const unknownProject = await list(b, token, {
      workspaceSlug: 'nope',
      environment: 'dev',
      secretPath: '/app',
    });
    expect(unknownProject.status).toBe(404);
    expect(unknownProject.body).toMatchObject({
      error: 'NotFound',
      message: "Project with slug 'nope' not found",
    });
    expect(
      (await list(b, token, { workspaceId: b.projectId, environment: 'qa', secretPath: '/' })).status,
    ).toBe(404);
    const folder = await list(b, token, {
      workspaceId: b.projectId,
      environment: 'dev',
      secretPath: '/nope',
    });
    expect(folder.status).toBe(404);
    expect(folder.body.message).toMatch(/^Folder with path '\/nope' in environment 'dev' was not found/);
    const kms = sdk(b);
    await expect(
      kms.secrets.retrieve({
        projectId: b.projectId,
        environment: 'dev',
        secretPath: '/app',
        secretName: 'MISSING',
      }),
    ).rejects.toBeInstanceOf(KmsNotFoundError);
    await kms.close();
  });

  it('refuses a viewer write with 403, and lets a member create, update, delete and batch', async () => {
    const viewer = await start({ secrets: SECRETS });
    const ro = sdk(viewer);
    await expect(
      ro.secrets.create({
        projectId: viewer.projectId,
        environment: 'dev',
        secretPath: '/app',
        secretName: 'X',
        secretValue: 'y',
      }),
    ).rejects.toBeInstanceOf(KmsPermissionDeniedError);
    await ro.close();

    const b = await start({ role: 'member', secrets: SECRETS });
    const kms = sdk(b);
    const where = { projectId: b.projectId, environment: 'dev', secretPath: '/app' };
    const created = await kms.secrets.create({ ...where, secretName: 'NEW', secretValue: 'one' });
    expect(created).toMatchObject({ secretKey: 'NEW', secretValue: 'one', version: 1 });
    const updated = await kms.secrets.update({ ...where, secretName: 'NEW', secretValue: 'two' });
    expect(updated).toMatchObject({ secretValue: 'two', version: 2 });
    await expect(
      kms.secrets.create({ ...where, secretName: 'NEW', secretValue: 'again' }),
    ).rejects.toMatchObject({
      status: 400,
    });
    await kms.secrets.delete({ ...where, secretName: 'NEW' });
    const batch = await kms.secrets.batch.create({
      ...where,
      secrets: [
        { secretKey: 'B1', secretValue: '1' },
        { secretKey: 'B2', secretValue: '2' },
      ],
    });
    expect(batch.map((s) => s.secretKey)).toEqual(['B1', 'B2']);
    await kms.secrets.batch.update({ ...where, secrets: [{ secretKey: 'B1', secretValue: '1b' }] });
    await kms.secrets.batch.delete({ ...where, secrets: [{ secretKey: 'B2' }] });
    const after = await kms.secrets.list(where);
    expect(after.secrets.map((s) => [s.secretKey, s.secretValue])).toEqual([
      ['API_KEY', 'k-1'],
      ['B1', '1b'],
      ['DB_URL', 'postgres://app@db/app'],
    ]);
    await kms.close();
  });

  it('lists, creates and deletes folders', async () => {
    const b = await start({ role: 'member', secrets: SECRETS });
    const kms = sdk(b);
    const at = { projectId: b.projectId, environment: 'dev' };
    expect((await kms.folders.list({ ...at, path: '/' })).map((f) => f.name)).toEqual(['app']);
    expect(await kms.folders.list({ ...at, path: '/no/such/path' })).toEqual([]);
    const cron = await kms.folders.create({ ...at, path: '/app', name: 'cron' });
    // Creating a folder that exists answers with it, as upstream's create does.
    expect((await kms.folders.create({ ...at, path: '/app', name: 'cron' })).id).toBe(cron.id);
    expect((await kms.folders.list({ ...at, path: '/app' })).map((f) => f.name).sort()).toEqual([
      'cron',
      'jobs',
    ]);
    await kms.folders.delete({ ...at, path: '/app', folderName: 'cron' } as never);
    expect((await kms.folders.list({ ...at, path: '/app' })).map((f) => f.name)).toEqual(['jobs']);
    await kms.close();
  });

  it('honours the uses limit and revocation; the SDK logs in again by itself', async () => {
    const b = await start({ accessTokenNumUsesLimit: 2, secrets: SECRETS });
    const token = (await login(b)).body.accessToken as string;
    const q = { workspaceId: b.projectId, environment: 'dev', secretPath: '/app' };
    expect((await list(b, token, q)).status).toBe(200);
    expect((await list(b, token, q)).status).toBe(200);
    const third = await list(b, token, q);
    expect(third.status).toBe(401);
    const fresh = (await login(b)).body.accessToken as string;
    const revoke = await fetch(`${b.siteUrl}/api/v1/auth/token/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ accessToken: fresh }),
    });
    expect(revoke.status).toBe(200);
    expect((await list(b, fresh, q)).status).toBe(401);
    const kms = sdk(b);
    for (let i = 0; i < 5; i++)
      await kms.secrets.list({ projectId: b.projectId, environment: 'dev', secretPath: '/app' });
    await kms.close();
  });

  it('expires tokens after their TTL (403 TokenError); renew extends a live one', async () => {
    const b = await start({ accessTokenTTL: 1, secrets: SECRETS });
    const token = (await login(b)).body.accessToken as string;
    const renewed = await fetch(`${b.siteUrl}/api/v1/auth/token/renew`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ accessToken: token }),
    });
    expect(renewed.status).toBe(200);
    const renewal = (await renewed.json()) as { accessToken: string; expiresIn: number; tokenType: string };
    expect(renewal).toMatchObject({ expiresIn: 1, tokenType: 'Bearer' });
    await new Promise((r) => setTimeout(r, 2100));
    const expired = await list(b, renewal.accessToken, {
      workspaceId: b.projectId,
      environment: 'dev',
      secretPath: '/app',
    });
    expect(expired.status).toBe(403);
    expect(expired.body.error).toBe('TokenError');
  });
});

// Faults exist only in the emulation: the server cannot be told to fail on purpose.
describe('msw fault helpers', () => {
  it('injects faults the SDK rides out: 5xx, 429 with Retry-After, resets, latency', async () => {
    const b = await (backends['msw handlers'] as (s: Spec) => Promise<Backend>)({ secrets: SECRETS });
    const sdk = (extra: Partial<ConstructorParameters<typeof KmsClient>[0]>) =>
      new KmsClient({
        siteUrl: b.siteUrl,
        auth: { universalAuth: { clientId: b.clientId, clientSecret: b.clientSecret } },
        ...extra,
      });
    try {
      b.faults?.(
        kmsFaults.serverError(b.siteUrl, { path: '/secrets/raw', times: 1 }),
        kmsFaults.rateLimited(b.siteUrl, { path: '/secrets/raw', retryAfterSeconds: 0, times: 1 }),
        kmsFaults.connectionReset(b.siteUrl, { path: '/secrets/raw', times: 1 }),
        kmsFaults.latency(b.siteUrl, 30, { path: '/secrets/raw', times: 1 }),
      );
      const kms = sdk({ retry: { maxRetries: 4, initialDelay: 1 } });
      const started = Date.now();
      const { secrets } = await kms.secrets.list({
        projectId: b.projectId,
        environment: 'dev',
        secretPath: '/app',
      });
      expect(secrets).toHaveLength(2);
      expect(Date.now() - started).toBeGreaterThanOrEqual(30);
      await kms.close();

      // A 500 is retried maxRetries times, then surfaces.
      b.faults?.(kmsFaults.serverError(b.siteUrl, { path: '/secrets/raw', status: 500, times: 2 }));
      const failing = sdk({ retry: { maxRetries: 1, initialDelay: 1 } });
      await expect(
        failing.secrets.list({ projectId: b.projectId, environment: 'dev', secretPath: '/app' }),
      ).rejects.toMatchObject({ status: 500 });
      await failing.close();

      // A 503 is an outage, ridden out until the call's deadline (packages/sdk/src/retry-policy.ts)...
      b.faults?.(kmsFaults.serverError(b.siteUrl, { path: '/secrets/raw', status: 503, times: 3 }));
      const riding = sdk({ retry: { maxRetries: 1, initialDelay: 1 } });
      const ridden = await riding.secrets.list({
        projectId: b.projectId,
        environment: 'dev',
        secretPath: '/app',
      });
      expect(ridden.secrets).toHaveLength(2);
      await riding.close();

      // ...unless retries are off.
      b.faults?.(kmsFaults.serverError(b.siteUrl, { path: '/secrets/raw', status: 503, times: 10 }));
      const noRetries = sdk({ retry: { maxRetries: 0, initialDelay: 1 } });
      await expect(
        noRetries.secrets.list({ projectId: b.projectId, environment: 'dev', secretPath: '/app' }),
      ).rejects.toMatchObject({ status: 503 });
      await noRetries.close();
    } finally {
      await b.close();
    }
  });
});
