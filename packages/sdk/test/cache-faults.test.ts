import { HttpResponse, http } from 'msw';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { KmsClient, KmsConnectionError } from '../src/index.js';
import { API, FakeAuth, mswServer, SITE, secretJson } from './fault-server.js';

const LIST = `${API}/v3/secrets/raw`;
const params = { projectId: 'proj-1', environment: 'dev', secretPath: '/app' };
let auth: FakeAuth;
beforeAll(() => mswServer.listen({ onUnhandledRequest: 'error' }));
afterAll(() => mswServer.close());
beforeEach(() => {
  auth = new FakeAuth();
  mswServer.use(...auth.handlers());
});
afterEach(() => {
  mswServer.resetHandlers();
  vi.useRealTimers();
});

function client(staleIfError: boolean) {
  return new KmsClient({
    siteUrl: SITE,
    auth: { universalAuth: { clientId: 'id', clientSecret: 'secret-123456' } },
    cache: { ttl: 1_000, staleIfError },
    retry: { maxRetries: 1, initialDelay: 1 },
  });
}

describe('stale-if-error (server unreachable)', () => {
  it('serves the last good value marked stale when the server cannot be reached', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    let down = false;
    mswServer.use(
      http.get(LIST, () =>
        down ? HttpResponse.error() : HttpResponse.json({ secrets: [secretJson('A')], imports: [] }),
      ),
    );
    const kms = client(true);
    expect((await kms.secrets.list(params)).stale).toBe(false);
    down = true;
    vi.advanceTimersByTime(1_500);
    const result = await kms.secrets.list(params);
    expect(result.stale).toBe(true);
    expect(result.secrets.map((s) => s.secretKey)).toEqual(['A']);
  });

  it('without staleIfError the outage is ridden out until the deadline, then the connection error is thrown', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    let down = false;
    mswServer.use(
      http.get(LIST, () => (down ? HttpResponse.error() : HttpResponse.json({ secrets: [], imports: [] }))),
    );
    const kms = client(false);
    await kms.secrets.list(params);
    down = true;
    vi.advanceTimersByTime(1_500);
    await expect(kms.secrets.list(params, { deadline: 300 })).rejects.toBeInstanceOf(KmsConnectionError);
  });

  it('also serves stale on a 5xx burst', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    let down = false;
    mswServer.use(
      http.get(LIST, () =>
        down
          ? HttpResponse.json({ statusCode: 503, error: 'Unavailable', message: 'down' }, { status: 503 })
          : HttpResponse.json({ secrets: [secretJson('B')], imports: [] }),
      ),
    );
    const kms = client(true);
    await kms.secrets.list(params);
    down = true;
    vi.advanceTimersByTime(1_500);
    expect((await kms.secrets.list(params)).stale).toBe(true);
  });

  it('serves stale at once instead of riding out the outage until the deadline', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    let down = false;
    let calls = 0;
    mswServer.use(
      http.get(LIST, () => {
        calls++;
        return down
          ? HttpResponse.json({ statusCode: 503, error: 'Unavailable', message: 'down' }, { status: 503 })
          : HttpResponse.json({ secrets: [secretJson('C')], imports: [] });
      }),
    );
    const kms = client(true);
    await kms.secrets.list(params);
    down = true;
    vi.advanceTimersByTime(1_500);
    calls = 0;
    expect((await kms.secrets.list(params)).stale).toBe(true);
    // maxRetries is 1: the first attempt and one retry, not a ride-out to the 60 s deadline.
    expect(calls).toBe(2);
  });
});

describe('bounded size', () => {
  it('keeps at most `max` answers, dropping the least recently used', async () => {
    const served: string[] = [];
    mswServer.use(
      http.get(LIST, ({ request }) => {
        served.push(new URL(request.url).searchParams.get('secretPath') ?? '');
        return HttpResponse.json({ secrets: [secretJson('A')], imports: [] });
      }),
    );
    const kms = new KmsClient({
      siteUrl: SITE,
      auth: { universalAuth: { clientId: 'id', clientSecret: 'secret-123456' } },
      cache: { ttl: 60_000, max: 2 },
    });
    const at = (secretPath: string) => kms.secrets.list({ ...params, secretPath });
    await at('/a');
    await at('/b');
    await at('/a'); // a hit, and /a is now the most recently used
    await at('/c'); // evicts /b
    await at('/a'); // still cached
    await at('/b'); // fetched again
    expect(served).toEqual(['/a', '/b', '/c', '/b']);
  });
});
