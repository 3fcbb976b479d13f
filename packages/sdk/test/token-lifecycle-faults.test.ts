import { HttpResponse, http } from 'msw';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { refreshBuffer } from '../src/auth/token-manager.js';
import { KmsAbortError, KmsClient, KmsConfigError } from '../src/index.js';
import { API, CLIENT_SECRET, FakeAuth, mswServer, SITE, secretJson } from './fault-server.js';

const LIST = `${API}/v3/secrets/raw`;
const listParams = { projectId: 'proj-1', environment: 'dev' };
let auth: FakeAuth;
let listCalls: string[];

beforeAll(() => mswServer.listen({ onUnhandledRequest: 'error' }));
afterAll(() => mswServer.close());
beforeEach(() => {
  auth = new FakeAuth();
  listCalls = [];
  mswServer.use(
    ...auth.handlers(),
    http.get(LIST, ({ request }) => {
      listCalls.push(request.headers.get('authorization') ?? '');
      return HttpResponse.json({ secrets: [secretJson('A')], imports: [] });
    }),
  );
});
afterEach(() => {
  mswServer.resetHandlers();
  vi.useRealTimers();
});

function client(extra: { accessTokenNumUsesLimit?: number } = {}) {
  return new KmsClient({
    siteUrl: SITE,
    auth: { universalAuth: { clientId: 'client-id', clientSecret: CLIENT_SECRET, ...extra } },
    retry: false,
  });
}

describe('refresh buffer', () => {
  it('is 20 % of the lifetime, at most 30 s', () => {
    expect(refreshBuffer(2_000)).toBe(400);
    expect(refreshBuffer(60_000)).toBe(12_000);
    expect(refreshBuffer(3_600_000)).toBe(30_000);
  });
});

describe('background lifecycle (fake timers)', () => {
  it('renews before expiry, then logs in again when the max TTL would be passed', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    auth.expiresIn = 10;
    auth.maxTtl = 25;
    const kms = client();
    const events: string[] = [];
    kms.on('tokenRefreshed', (e) => events.push(e.kind));
    kms.on('reauthenticated', (e) => events.push(`re:${e.reason}`));
    await kms.secrets.list(listParams);
    expect(events).toEqual(['login']);
    await vi.advanceTimersByTimeAsync(8_100); // renew at 10 s - 2 s buffer
    expect(auth.renewals).toHaveLength(1);
    expect(events).toEqual(['login', 'renew']);
    // At 16 s the remaining budget (9 s) is shorter than one more TTL: log in instead of renewing.
    await vi.advanceTimersByTimeAsync(8_100);
    expect(auth.renewals).toHaveLength(1);
    expect(auth.logins).toHaveLength(2);
    expect(events).toEqual(['login', 'renew', 'login', 're:maxTtl']);
    await kms.close();
  });

  it('a 30-day TTL does not overflow the timer (no refresh storm)', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    auth.expiresIn = 2_592_000;
    auth.maxTtl = 2_592_000;
    const kms = client();
    await kms.secrets.list(listParams);
    await vi.advanceTimersByTimeAsync(25 * 24 * 3600 * 1000);
    expect(auth.renewals).toHaveLength(0);
    expect(auth.logins).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(5 * 24 * 3600 * 1000);
    expect(auth.logins).toHaveLength(2);
    await kms.close();
  });

  it('TTL 0 and max TTL 0 mean no expiry: no timer, no re-login', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    auth.expiresIn = 0;
    auth.maxTtl = 0;
    const kms = client();
    await kms.secrets.list(listParams);
    await vi.advanceTimersByTimeAsync(7 * 24 * 3600 * 1000);
    await kms.secrets.list(listParams);
    expect(auth.logins).toHaveLength(1);
    expect(auth.renewals).toHaveLength(0);
  });

  it('max TTL 0 with a TTL renews forever and never re-logs in', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    auth.expiresIn = 10;
    auth.maxTtl = 0;
    const kms = client();
    await kms.secrets.list(listParams);
    await vi.advanceTimersByTimeAsync(100_000);
    expect(auth.logins).toHaveLength(1);
    expect(auth.renewals.length).toBeGreaterThanOrEqual(11);
    await kms.close();
  });

  it('falls back to a fresh login when the background renew fails', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    auth.expiresIn = 10;
    auth.renewStatus = 401;
    const kms = client();
    const reasons: string[] = [];
    kms.on('reauthenticated', (e) => reasons.push(e.reason));
    await kms.secrets.list(listParams);
    await vi.advanceTimersByTimeAsync(8_100);
    expect(auth.renewals).toHaveLength(1);
    expect(auth.logins).toHaveLength(2);
    expect(reasons).toEqual(['renewFailed']);
    await kms.close();
  });

  it('reports a failed background refresh as an error event and still serves requests while the token lasts', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    auth.expiresIn = 10;
    const kms = client();
    await kms.secrets.list(listParams);
    mswServer.use(
      http.post(`${API}/v1/auth/token/renew`, () => HttpResponse.error()),
      http.post(`${API}/v1/auth/universal-auth/login`, () => HttpResponse.error()),
    );
    const errors: string[] = [];
    kms.on('error', (e) => errors.push(e.operation));
    await vi.advanceTimersByTimeAsync(8_100);
    expect(errors).toContain('backgroundRefresh');
    // Still inside the TTL: the request goes out with the old token instead of failing.
    await expect(kms.secrets.list(listParams)).resolves.toBeDefined();
    expect(listCalls.at(-1)).toBe('Bearer token-1-abcdefgh');
    await kms.close();
  });

  it('explicit renew failure falls back to login', async () => {
    auth.renewStatus = 500;
    const kms = client();
    await kms.auth.universalAuth.login({ clientId: 'client-id', clientSecret: CLIENT_SECRET });
    const info = await kms.auth.renew();
    expect(info.tokenType).toBe('Bearer');
    expect(auth.logins).toHaveLength(2);
  });
});

describe('one refresh at a time', () => {
  it('concurrent first requests share one login', async () => {
    const kms = client();
    await Promise.all(Array.from({ length: 20 }, () => kms.secrets.list(listParams)));
    expect(auth.logins).toHaveLength(1);
    expect(listCalls).toHaveLength(20);
  });

  it('concurrent 401s share one re-login', async () => {
    const kms = client();
    await kms.secrets.list(listParams);
    let rejected = 0;
    mswServer.use(
      http.get(LIST, ({ request }) => {
        if (request.headers.get('authorization') === 'Bearer token-1-abcdefgh') {
          rejected++;
          return HttpResponse.json(
            { statusCode: 401, error: 'UnauthorizedError', message: 'x' },
            { status: 401 },
          );
        }
        return HttpResponse.json({ secrets: [], imports: [] });
      }),
    );
    await Promise.all(Array.from({ length: 10 }, () => kms.secrets.list(listParams)));
    expect(rejected).toBe(10);
    expect(auth.logins).toHaveLength(2);
  });
});

describe('uses limit', () => {
  it('counts uses and logs in again before exceeding accessTokenNumUsesLimit', async () => {
    const kms = client({ accessTokenNumUsesLimit: 3 });
    for (let i = 0; i < 7; i++) await kms.secrets.list(listParams);
    expect(auth.logins).toHaveLength(3);
    expect(listCalls.filter((a) => a === 'Bearer token-1-abcdefgh')).toHaveLength(3);
  });
});

describe('auth endpoints', () => {
  it('never sends Authorization on /v1/auth/* calls', async () => {
    const kms = client();
    await kms.secrets.list(listParams);
    await kms.auth.renew();
    await kms.auth.universalAuth.login({ clientId: 'client-id', clientSecret: CLIENT_SECRET });
    await kms.close();
    expect(auth.logins.map((l) => l.authorization)).toEqual([null, null]);
  });

  it('a caller-supplied Authorization header is dropped (login stays header-free, requests use the SDK token)', async () => {
    const kms = client();
    await kms.auth.universalAuth.login(
      { clientId: 'client-id', clientSecret: CLIENT_SECRET },
      { headers: { Authorization: 'Bearer stale' } },
    );
    await kms.secrets.list(listParams, { headers: { Authorization: 'Bearer stale', 'x-trace': '1' } });
    expect(auth.logins[0]?.authorization).toBeNull();
    expect(listCalls).toEqual(['Bearer token-1-abcdefgh']);
  });

  it('close() revokes the token obtained by login and is idempotent', async () => {
    const kms = client();
    await kms.secrets.list(listParams);
    await kms.close();
    await kms.close();
    expect(auth.revocations).toEqual(['token-1-abcdefgh']);
  });

  it('a closed client refuses requests until it logs in again', async () => {
    const kms = client();
    await kms.secrets.list(listParams);
    await kms.close();
    await expect(kms.secrets.list(listParams)).rejects.toThrow(/closed/);
    await kms.auth.universalAuth.login({ clientId: 'client-id', clientSecret: CLIENT_SECRET });
    await expect(kms.secrets.list(listParams)).resolves.toBeDefined();
    await kms.close();
  });

  it('a caller abort while waiting for a shared login rejects only that caller', async () => {
    mswServer.use(
      http.post(`${API}/v1/auth/universal-auth/login`, async () => {
        await new Promise((r) => setTimeout(r, 100));
        auth.issued++;
        return HttpResponse.json({
          accessToken: auth.current,
          expiresIn: 3600,
          accessTokenMaxTTL: 0,
          tokenType: 'Bearer',
        });
      }),
    );
    const kms = client();
    const controller = new AbortController();
    const aborted = kms.secrets.list(listParams, { signal: controller.signal });
    const patient = kms.secrets.list(listParams);
    setTimeout(() => controller.abort(), 20);
    await expect(aborted).rejects.toBeInstanceOf(KmsAbortError);
    await expect(patient).resolves.toBeDefined();
    expect(auth.issued).toBe(1);
  });

  it('close() leaves a manual token alone', async () => {
    const kms = new KmsClient({ siteUrl: SITE, auth: { accessToken: 'manual-token-1' } });
    await kms.secrets.list(listParams);
    await kms.close();
    expect(auth.revocations).toEqual([]);
  });

  it('after revoke(), the next request logs in again', async () => {
    const kms = client();
    await kms.secrets.list(listParams);
    await kms.auth.revoke();
    const reasons: string[] = [];
    kms.on('reauthenticated', (e) => reasons.push(e.reason));
    await kms.secrets.list(listParams);
    expect(auth.logins).toHaveLength(2);
    expect(reasons).toEqual(['revoked']);
  });

  it('without credentials, a request fails with KmsConfigError naming auth', async () => {
    const kms = new KmsClient({ siteUrl: SITE });
    await expect(kms.secrets.list(listParams)).rejects.toMatchObject({
      name: 'KmsConfigError',
      field: 'auth',
    });
    await expect(kms.secrets.list(listParams)).rejects.toBeInstanceOf(KmsConfigError);
  });

  it('a strategy is asked for its credentials again at every login', async () => {
    let reads = 0;
    const kms = new KmsClient({
      siteUrl: SITE,
      retry: false,
      auth: {
        strategy: {
          method: 'rotating',
          loginRequest: () => {
            reads++;
            return {
              path: '/v1/auth/universal-auth/login',
              body: { clientId: 'id', clientSecret: `secret-${reads}` },
              sensitive: [`secret-${reads}`],
            };
          },
        },
      },
    });
    await kms.secrets.list(listParams);
    await kms.auth.revoke();
    await kms.secrets.list(listParams);
    expect(reads).toBe(2);
    expect(auth.logins.map((l) => l.body.clientSecret)).toEqual(['secret-1', 'secret-2']);
  });
});
