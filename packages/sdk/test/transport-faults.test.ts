import { delay, HttpResponse, http } from 'msw';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  KmsAbortError,
  KmsAuthenticationError,
  KmsClient,
  KmsConnectionError,
  KmsIdentityLockedError,
  KmsInternalServerError,
  KmsPermissionDeniedError,
  KmsRateLimitError,
  KmsResponseParseError,
  KmsTimeoutError,
  KmsUnprocessableEntityError,
} from '../src/index.js';
import { API, CLIENT_SECRET, FakeAuth, mswServer, SECRET_VALUE, SITE, secretJson } from './fault-server.js';

const LIST = `${API}/v3/secrets/raw`;
let auth: FakeAuth;

beforeAll(() => mswServer.listen({ onUnhandledRequest: 'error' }));
afterAll(() => mswServer.close());
beforeEach(() => {
  auth = new FakeAuth();
  mswServer.use(...auth.handlers());
});
afterEach(() => mswServer.resetHandlers());

function client(extra: Partial<ConstructorParameters<typeof KmsClient>[0]> = {}) {
  return new KmsClient({
    siteUrl: SITE,
    auth: { universalAuth: { clientId: 'client-id', clientSecret: CLIENT_SECRET } },
    retry: { maxRetries: 2, initialDelay: 1, maxDelay: 1000 },
    ...extra,
  });
}
const listParams = { projectId: 'proj-1', environment: 'dev' };

/** Answers each call to `url` with the next responder; counts calls. */
function sequence(method: 'get' | 'post', url: string, responders: (() => Response | Promise<Response>)[]) {
  const calls = { count: 0 };
  mswServer.use(
    http[method](url, async () => {
      const responder = responders[Math.min(calls.count, responders.length - 1)]!;
      calls.count++;
      return responder();
    }),
  );
  return calls;
}
const ok = () => HttpResponse.json({ secrets: [secretJson('A')], imports: [] });
const status =
  (code: number, headers: Record<string, string> = {}) =>
  () =>
    HttpResponse.json(
      {
        statusCode: code,
        error: code === 429 ? 'RateLimitExceeded' : 'ServerError',
        message: 'nope',
        reqId: `req-${code}`,
      },
      { status: code, headers },
    );

describe('timeouts and aborts', () => {
  it('times out each attempt and throws KmsTimeoutError after the retries', async () => {
    const calls = sequence('get', LIST, [
      async () => {
        await delay('infinite');
        return ok();
      },
    ]);
    const err = await client({ timeout: 50, retry: { maxRetries: 1, initialDelay: 1 } })
      .secrets.list(listParams)
      .catch((e) => e);
    expect(err).toBeInstanceOf(KmsTimeoutError);
    expect(err).toBeInstanceOf(KmsConnectionError);
    expect(err.timeoutMs).toBe(50);
    expect(calls.count).toBe(2);
  });

  it('turns a caller abort into KmsAbortError and does not retry', async () => {
    const calls = sequence('get', LIST, [
      async () => {
        await delay('infinite');
        return ok();
      },
    ]);
    const kms = client();
    await kms.auth.universalAuth.login({ clientId: 'client-id', clientSecret: CLIENT_SECRET });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    const err = await kms.secrets.list(listParams, { signal: controller.signal }).catch((e) => e);
    expect(err).toBeInstanceOf(KmsAbortError);
    expect(calls.count).toBe(1);
  });

  it('a per-request timeout overrides the client timeout', async () => {
    sequence('get', LIST, [
      async () => {
        await delay(300);
        return ok();
      },
    ]);
    const err = await client({ timeout: 10_000 })
      .secrets.list(listParams, { timeout: 20, maxRetries: 0 })
      .catch((e) => e);
    expect(err).toBeInstanceOf(KmsTimeoutError);
  });
});

describe('the deadline of a call', () => {
  const hang = async () => {
    await delay('infinite');
    return ok();
  };

  it('bounds attempts and retries together: a hanging server ends the call at the deadline', async () => {
    const calls = sequence('get', LIST, [hang]);
    const kms = client({ timeout: 30_000, retry: { maxRetries: 5, initialDelay: 1 } });
    await kms.auth.universalAuth.login({ clientId: 'client-id', clientSecret: CLIENT_SECRET });
    const err = await kms.secrets.list(listParams, { deadline: 150 }).catch((e) => e);
    expect(err).toBeInstanceOf(KmsTimeoutError);
    expect(err.kind).toBe('deadline');
    expect(err.timeoutMs).toBe(150);
    expect(err.message).toMatch(/ran out of its 150 ms deadline/);
    // The one attempt was cut at the deadline; no retry started after it.
    expect(calls.count).toBe(1);
  });

  it('covers the login a call needs', async () => {
    mswServer.use(http.post(`${API}/v1/auth/universal-auth/login`, hang));
    const err = await client({ deadline: 120 })
      .secrets.list(listParams)
      .catch((e) => e);
    expect(err).toBeInstanceOf(KmsTimeoutError);
    expect(err.kind).toBe('deadline');
  });

  it('does not sleep into the deadline: a Retry-After beyond it ends the call with the 429', async () => {
    const calls = sequence('get', LIST, [status(429, { 'retry-after': '5' }), ok]);
    const err = await client({ deadline: 1_000 })
      .secrets.list(listParams)
      .catch((e) => e);
    expect(err).toBeInstanceOf(KmsRateLimitError);
    expect(calls.count).toBe(1);
  });

  it('a caller abort stays an abort, not a deadline', async () => {
    sequence('get', LIST, [hang]);
    const kms = client({ deadline: 10_000 });
    await kms.auth.universalAuth.login({ clientId: 'client-id', clientSecret: CLIENT_SECRET });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const err = await kms.secrets.list(listParams, { signal: controller.signal }).catch((e) => e);
    expect(err).toBeInstanceOf(KmsAbortError);
  });

  it('rejects a deadline that is not a positive whole number of ms, naming the option', () => {
    expect(() => client({ deadline: 0 })).toThrow(/deadline/);
  });
});

describe('retries of KMS key operations', () => {
  const KEY = '8d0f3e8a-1c2b-4e5f-9a6b-7c8d9e0f1a2b';
  it('retries encrypt on a 503 (it changes no state), but not a key creation', async () => {
    const enc = sequence('post', `${API}/v1/kms/keys/${KEY}/encrypt`, [
      status(503),
      () => HttpResponse.json({ ciphertext: 'AQ==' }),
    ]);
    expect(await client().kms.encrypt({ keyId: KEY, plaintext: 'x' })).toBe('AQ==');
    expect(enc.count).toBe(2);
    const create = sequence('post', `${API}/v1/kms/keys`, [status(503)]);
    const err = await client()
      .kms.keys.create({ projectId: 'p', name: 'k' })
      .catch((e) => e);
    expect(err).toBeInstanceOf(KmsInternalServerError);
    expect(create.count).toBe(1);
  });
});

describe('retries', () => {
  it('retries a connection reset on a GET', async () => {
    const calls = sequence('get', LIST, [() => HttpResponse.error(), ok]);
    const { secrets } = await client().secrets.list(listParams);
    expect(secrets).toHaveLength(1);
    expect(calls.count).toBe(2);
  });

  it('rides out a 5xx burst shorter than maxRetries', async () => {
    const calls = sequence('get', LIST, [status(503), status(502), ok]);
    await expect(client().secrets.list(listParams)).resolves.toMatchObject({ stale: false });
    expect(calls.count).toBe(3);
  });

  it('rides out a 503 run longer than maxRetries, honouring Retry-After, until the server answers', async () => {
    const calls = sequence('get', LIST, [
      ...Array.from({ length: 5 }, () => status(503, { 'retry-after': '0.01' })),
      ok,
    ]);
    await expect(client().secrets.list(listParams)).resolves.toMatchObject({ stale: false });
    expect(calls.count).toBe(6);
  });

  it('ends a 503 outage at the deadline with the typed 5xx error', async () => {
    // Three short outage answers, then one whose Retry-After cannot end before the deadline: that
    // wait is not started and its 503 is thrown (docs/token-lifecycle.md, item 10). With the short
    // wait repeated instead, a loaded machine could let the deadline cut the next attempt in flight,
    // which is the other documented ending (KmsTimeoutError), and the test would race.
    const shortWait = status(503, { 'retry-after': '0.02' });
    const calls = sequence('get', LIST, [
      shortWait,
      shortWait,
      shortWait,
      status(503, { 'retry-after': '10' }),
    ]);
    const kms = client();
    await kms.auth.universalAuth.login({ clientId: 'client-id', clientSecret: CLIENT_SECRET });
    const err = await kms.secrets.list(listParams, { deadline: 300 }).catch((e) => e);
    expect(err).toBeInstanceOf(KmsInternalServerError);
    expect(err.status).toBe(503);
    expect(calls.count).toBeGreaterThan(3);
  });

  it('rides out refused connections once the server was reached, but fails fast on a server never reached', async () => {
    const down = sequence('get', LIST, [...Array.from({ length: 5 }, () => () => HttpResponse.error()), ok]);
    const kms = client();
    await kms.auth.universalAuth.login({ clientId: 'client-id', clientSecret: CLIENT_SECRET });
    await expect(kms.secrets.list(listParams)).resolves.toMatchObject({ stale: false });
    expect(down.count).toBe(6);

    mswServer.resetHandlers(...auth.handlers());
    const never = sequence('get', LIST, [() => HttpResponse.error()]);
    const fresh = new KmsClient({
      siteUrl: SITE,
      auth: { accessToken: 'a-ready-token' },
      retry: { maxRetries: 2, initialDelay: 1 },
    });
    await expect(fresh.secrets.list(listParams)).rejects.toBeInstanceOf(KmsConnectionError);
    expect(never.count).toBe(3);
  });

  it('retry: false (maxRetries 0) rides out nothing', async () => {
    const calls = sequence('get', LIST, [status(503)]);
    const err = await client({ retry: false })
      .secrets.list(listParams)
      .catch((e) => e);
    expect(err).toBeInstanceOf(KmsInternalServerError);
    expect(calls.count).toBe(1);
  });

  it('gives up after maxRetries with a typed 5xx error carrying the reqId', async () => {
    const calls = sequence('get', LIST, [status(500)]);
    const err = await client()
      .secrets.list(listParams)
      .catch((e) => e);
    expect(err).toBeInstanceOf(KmsInternalServerError);
    expect(err.requestId).toBe('req-500');
    expect(err.status).toBe(500);
    expect(calls.count).toBe(3);
  });

  it('honours Retry-After on 429', async () => {
    const calls = sequence('get', LIST, [status(429, { 'retry-after': '0.2' }), ok]);
    const started = Date.now();
    await client().secrets.list(listParams);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(calls.count).toBe(2);
  });

  it('caps Retry-After at maxDelay', async () => {
    sequence('get', LIST, [status(429, { 'retry-after': '3600' }), ok]);
    const started = Date.now();
    await client({ retry: { maxRetries: 1, maxDelay: 50 } }).secrets.list(listParams);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('backs off on 429 without Retry-After and surfaces KmsRateLimitError at the end', async () => {
    const calls = sequence('get', LIST, [status(429)]);
    const err = await client()
      .secrets.list(listParams)
      .catch((e) => e);
    expect(err).toBeInstanceOf(KmsRateLimitError);
    expect(err.message).toMatch(
      /; the server is rate limiting this client: make fewer requests .*KMS_RATE_LIMIT=off\)$/,
    );
    expect(calls.count).toBe(3);
  });

  it('retries a write on 429 (the server did not act) but not on 5xx', async () => {
    const url = `${API}/v3/secrets/raw/NEW_KEY`;
    const rateLimited = sequence('post', url, [
      status(429),
      () => HttpResponse.json({ secret: secretJson('NEW_KEY') }),
    ]);
    const kms = client();
    await kms.secrets.create({ ...listParams, secretName: 'NEW_KEY', secretValue: SECRET_VALUE });
    expect(rateLimited.count).toBe(2);
    mswServer.resetHandlers(...auth.handlers());
    const failing = sequence('post', url, [status(503)]);
    const err = await kms.secrets
      .create({ ...listParams, secretName: 'NEW_KEY', secretValue: SECRET_VALUE })
      .catch((e) => e);
    expect(err).toBeInstanceOf(KmsInternalServerError);
    expect(failing.count).toBe(1);
  });

  it('does not retry a write after a connection reset', async () => {
    const calls = sequence('post', `${API}/v3/secrets/raw/K`, [() => HttpResponse.error()]);
    const err = await client()
      .secrets.create({ ...listParams, secretName: 'K', secretValue: 'v' })
      .catch((e) => e);
    expect(err).toBeInstanceOf(KmsConnectionError);
    expect(calls.count).toBe(1);
  });
});

describe('malformed responses', () => {
  it('rejects a 200 with a body that is not JSON', async () => {
    sequence('get', LIST, [() => new HttpResponse('{"secrets": [', { status: 200 })]);
    const err = await client()
      .secrets.list(listParams)
      .catch((e) => e);
    expect(err).toBeInstanceOf(KmsResponseParseError);
  });

  it('maps an HTML 502 from a proxy to KmsInternalServerError', async () => {
    sequence('get', LIST, [() => new HttpResponse('<html>bad gateway</html>', { status: 502 })]);
    const err = await client({ retry: false })
      .secrets.list(listParams)
      .catch((e) => e);
    expect(err).toBeInstanceOf(KmsInternalServerError);
    expect(err.message).not.toContain('<html>');
  });

  it('keeps 422 issues and scrubs the sent value from them', async () => {
    sequence('post', `${API}/v3/secrets/raw/K`, [
      () =>
        HttpResponse.json(
          {
            statusCode: 422,
            error: 'ValidationFailure',
            message: [{ path: ['secretValue'], message: `bad value ${SECRET_VALUE}` }],
            reqId: 'r1',
          },
          { status: 422 },
        ),
    ]);
    const err = await client()
      .secrets.create({ ...listParams, secretName: 'K', secretValue: SECRET_VALUE })
      .catch((e) => e);
    expect(err).toBeInstanceOf(KmsUnprocessableEntityError);
    expect(err.issues).toHaveLength(1);
    expect(err.message).toContain('secretValue');
    expect(JSON.stringify(err.details)).not.toContain(SECRET_VALUE);
    expect(err.message).not.toContain(SECRET_VALUE);
  });
});

describe('401 and 403 mid-session', () => {
  it('logs in again once and retries transparently on 401', async () => {
    const seen: string[] = [];
    mswServer.use(
      http.get(LIST, ({ request }) => {
        const authz = request.headers.get('authorization') ?? '';
        seen.push(authz);
        if (authz === 'Bearer token-1-abcdefgh') {
          return HttpResponse.json(
            { statusCode: 401, error: 'UnauthorizedError', message: 'No identity access token found' },
            { status: 401 },
          );
        }
        return ok();
      }),
    );
    const kms = client();
    const reasons: string[] = [];
    kms.on('reauthenticated', (e) => reasons.push(e.reason));
    await expect(kms.secrets.list(listParams)).resolves.toBeDefined();
    expect(seen).toEqual(['Bearer token-1-abcdefgh', 'Bearer token-2-abcdefgh']);
    expect(reasons).toEqual(['unauthorized']);
    expect(auth.logins.every((l) => l.authorization === null)).toBe(true);
  });

  it('retries even a write after a 403 TokenError (the server refused before acting)', async () => {
    const calls = sequence('post', `${API}/v3/secrets/raw/K`, [
      () =>
        HttpResponse.json(
          {
            statusCode: 403,
            error: 'TokenError',
            message: 'Your token has expired. Please re-authenticate.',
          },
          { status: 403 },
        ),
      () => HttpResponse.json({ secret: secretJson('K') }),
    ]);
    const kms = client();
    const reasons: string[] = [];
    kms.on('reauthenticated', (e) => reasons.push(e.reason));
    await kms.secrets.create({ ...listParams, secretName: 'K', secretValue: 'v' });
    expect(calls.count).toBe(2);
    expect(reasons).toEqual(['tokenExpired']);
  });

  it('does not loop: a second 401 after re-login is thrown', async () => {
    sequence('get', LIST, [
      () =>
        HttpResponse.json({ statusCode: 401, error: 'UnauthorizedError', message: 'no' }, { status: 401 }),
    ]);
    const err = await client()
      .secrets.list(listParams)
      .catch((e) => e);
    expect(err.status).toBe(401);
    expect(auth.logins).toHaveLength(2);
  });

  it('does not re-login on a 403 PermissionDenied', async () => {
    sequence('get', LIST, [
      () =>
        HttpResponse.json(
          { statusCode: 403, error: 'PermissionDenied', message: 'You are not allowed to read on secrets' },
          { status: 403 },
        ),
    ]);
    const err = await client()
      .secrets.list(listParams)
      .catch((e) => e);
    expect(err).toBeInstanceOf(KmsPermissionDeniedError);
    expect(err.error).toBe('PermissionDenied');
    expect(auth.logins).toHaveLength(1);
  });

  it('with a manual access token, a 401 is thrown (nothing to log in with)', async () => {
    sequence('get', LIST, [
      () =>
        HttpResponse.json({ statusCode: 401, error: 'UnauthorizedError', message: 'no' }, { status: 401 }),
    ]);
    const kms = new KmsClient({ siteUrl: SITE, auth: { accessToken: 'manual-token-123' } });
    await expect(kms.secrets.list(listParams)).rejects.toMatchObject({ status: 401 });
    expect(auth.logins).toHaveLength(0);
  });
});

describe('a locked identity', () => {
  it('is KmsIdentityLockedError (a KmsAuthenticationError); wrong credentials are not', async () => {
    const loginUrl = `${API}/v1/auth/universal-auth/login`;
    const refuseWith = (message: string) =>
      http.post(
        loginUrl,
        () =>
          HttpResponse.json(
            { reqId: 'req-1', statusCode: 401, message, error: 'UnauthorizedError' },
            { status: 401 },
          ),
        { once: true },
      );
    const login = () =>
      client()
        .auth.universalAuth.login({ clientId: 'client-id', clientSecret: CLIENT_SECRET })
        .catch((error: unknown) => error);
    mswServer.use(refuseWith('This identity auth method is temporarily locked, please try again later'));
    const locked = await login();
    expect(locked).toBeInstanceOf(KmsIdentityLockedError);
    expect(locked).toBeInstanceOf(KmsAuthenticationError);
    expect((locked as Error).name).toBe('KmsIdentityLockedError');
    mswServer.use(refuseWith('Invalid credentials'));
    const wrong = await login();
    expect(wrong).toBeInstanceOf(KmsAuthenticationError);
    expect(wrong).not.toBeInstanceOf(KmsIdentityLockedError);
  });
});

describe('a 2xx body of the wrong shape', () => {
  it('is KmsResponseParseError naming the field, for lists, single secrets and KMS calls', async () => {
    sequence('get', LIST, [() => HttpResponse.json({ secrets: 5 })]);
    const list = await client()
      .secrets.list(listParams)
      .catch((e) => e);
    expect(list).toBeInstanceOf(KmsResponseParseError);
    expect((list as Error).message).toContain('no array `secrets`');
    sequence('get', `${LIST}/K`, [() => HttpResponse.json({})]);
    const one = await client()
      .secrets.retrieve({ ...listParams, secretName: 'K' })
      .catch((e) => e);
    expect(one).toBeInstanceOf(KmsResponseParseError);
    sequence('post', `${API}/v1/kms/keys/key-1/decrypt`, [() => HttpResponse.json({ plaintext: null })]);
    const decrypted = await client()
      .kms.decrypt({ keyId: 'key-1', ciphertext: 'abc' })
      .catch((e) => e);
    expect(decrypted).toBeInstanceOf(KmsResponseParseError);
    expect((decrypted as Error).message).toContain('no string `plaintext`');
  });
});
