// The call scope (src/call-scope.ts) bounds a call even when the `fetch` in use ignores its signal:
// the attempt timeout, the deadline and the caller's abort each end the call with their own error.
import { describe, expect, it } from 'vitest';
import { type FetchLike, KmsAbortError, KmsClient, KmsTimeoutError } from '../src/index.js';

/** A fetch that never answers and never looks at its signal; counts its calls. */
function deafFetch(): FetchLike & { calls: number } {
  let calls = 0;
  const fetch: FetchLike = () => {
    calls++;
    return new Promise(() => undefined);
  };
  return Object.defineProperty(fetch, 'calls', { get: () => calls }) as FetchLike & { calls: number };
}

function client(fetch: FetchLike, options: { timeout?: number; deadline?: number } = {}) {
  return new KmsClient({
    siteUrl: 'http://127.0.0.1:1',
    auth: { accessToken: 'a-ready-token' },
    fetch,
    retry: { maxRetries: 0 },
    ...options,
  });
}

const location = { projectId: 'p', environment: 'dev' };

describe('a fetch that ignores its signal', () => {
  it('ends at the attempt timeout with KmsTimeoutError kind attempt', async () => {
    const fetch = deafFetch();
    const error = await client(fetch, { timeout: 150, deadline: 60_000 })
      .secrets.list(location)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KmsTimeoutError);
    expect((error as KmsTimeoutError).kind).toBe('attempt');
    expect((error as KmsTimeoutError).message).toBe('GET /v3/secrets/raw: timed out after 150 ms');
    expect(fetch.calls).toBe(1);
  });

  it('ends at the deadline with KmsTimeoutError kind deadline when the deadline comes first', async () => {
    const fetch = deafFetch();
    const error = await client(fetch, { timeout: 30_000 })
      .secrets.list(location, { deadline: 150 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KmsTimeoutError);
    expect((error as KmsTimeoutError).kind).toBe('deadline');
    expect((error as KmsTimeoutError).message).toBe(
      'GET /v3/secrets/raw: the call ran out of its 150 ms deadline',
    );
  });

  it("ends at the caller's abort with KmsAbortError, not a timeout", async () => {
    const fetch = deafFetch();
    const controller = new AbortController();
    const pending = client(fetch, { timeout: 30_000, deadline: 60_000 })
      .secrets.list(location, { signal: controller.signal })
      .catch((e: unknown) => e);
    setTimeout(() => controller.abort(), 50);
    const error = await pending;
    expect(error).toBeInstanceOf(KmsAbortError);
    expect(error).not.toBeInstanceOf(KmsTimeoutError);
    expect((error as Error).message).toBe('GET /v3/secrets/raw: aborted by the caller');
  });
});
