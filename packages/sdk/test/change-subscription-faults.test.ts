// Fault paths of client.changes.subscribe that the real server cannot be made to produce on demand
// (behaviour is tested against the reference server in packages/node/test/session-push.test.ts):
// a server without the stream, refusals and drops with backoff, resume with Last-Event-ID, an idle
// end reconnecting at once, a silent connection treated as dead, and bad parameters.
import { HttpResponse, http } from 'msw';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ChangeSubscriptionState, KmsClient, KmsValidationError } from '../src/index.js';
import { API, mswServer, SITE } from './fault-server.js';

const STREAM = `${API}/v1/change-notices/stream`;
beforeAll(() => mswServer.listen({ onUnhandledRequest: 'error' }));
afterEach(() => mswServer.resetHandlers());
afterAll(() => mswServer.close());

const client = () => new KmsClient({ siteUrl: SITE, auth: { accessToken: 'manual-token-123' } });
const sse = (text: string, keepOpen = false) =>
  new HttpResponse(
    new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(text));
        if (!keepOpen) controller.close();
      },
    }),
    { headers: { 'content-type': 'text/event-stream' } },
  );
const ready = (heartbeatMs = 15_000) => `event: ready\ndata: {"heartbeatMs":${heartbeatMs}}\n\n`;
const change = (id: number) =>
  `id: ${id}\nevent: change\ndata: {"id":${id},"projectId":"p","environment":"dev","secretPath":"/","timestamp":1}\n\n`;

async function until(check: () => boolean, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('client.changes.subscribe', () => {
  it('says unsupported once and stops when the server has no stream (404)', async () => {
    let calls = 0;
    mswServer.use(
      http.get(STREAM, () => {
        calls++;
        return HttpResponse.json(
          { statusCode: 404, error: 'NotFound', message: 'Route not found' },
          { status: 404 },
        );
      }),
    );
    const states: ChangeSubscriptionState[] = [];
    const sub = client().changes.subscribe({ projectId: 'p' }, { onState: (s) => states.push(s) });
    await until(() => sub.state === 'unsupported');
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toBe(1);
    expect(states).toEqual(['unsupported']);
  });

  it('backs off after refusals and drops, then connects, sends the bearer token and resumes after the last id', async () => {
    const seen: { auth: string | null; last: string | null; at: number }[] = [];
    mswServer.use(
      http.get(STREAM, ({ request }) => {
        seen.push({
          auth: request.headers.get('authorization'),
          last: request.headers.get('last-event-id'),
          at: Date.now(),
        });
        const n = seen.length;
        if (n === 1) return HttpResponse.json({ statusCode: 503 }, { status: 503 });
        if (n === 2) return sse(ready() + change(7)); // delivers one notice, then drops
        return sse(ready() + change(8), true);
      }),
    );
    const ids: number[] = [];
    const sub = client().changes.subscribe(
      { projectId: 'p', environment: 'dev' },
      { onNotice: (n) => ids.push(n.id) },
      { initialDelayMs: 40, maxDelayMs: 40 },
    );
    await until(() => ids.length === 2);
    sub.close();
    expect(ids).toEqual([7, 8]);
    expect(seen[0]!.auth).toBe('Bearer manual-token-123');
    expect(seen.map((s) => s.last)).toEqual([null, null, '7']);
    // Each reconnect waited: between half and all of the 40 ms delay (jitter).
    expect(seen[1]!.at - seen[0]!.at).toBeGreaterThanOrEqual(19);
    expect(sub.lastEventId).toBe(8);
    expect(sub.state).toBe('closed');
  });

  it('reconnects at once after an idle end, and says reset when the server does', async () => {
    let calls = 0;
    mswServer.use(
      http.get(STREAM, () => {
        calls++;
        if (calls === 1) return sse(`${ready()}event: end\ndata: {"reason":"idle"}\n\n`);
        return sse(`${ready()}event: reset\ndata: {}\n\n`, true);
      }),
    );
    let resets = 0;
    const sub = client().changes.subscribe(
      { projectSlug: 'shop' },
      { onReset: () => resets++ },
      { initialDelayMs: 60_000, maxDelayMs: 60_000 },
    );
    await until(() => resets === 1);
    sub.close();
    expect(calls).toBe(2);
  });

  it('treats a connection silent for three heartbeats as dead and reconnects', async () => {
    let calls = 0;
    mswServer.use(
      http.get(STREAM, () => {
        calls++;
        return sse(ready(20), true);
      }),
    );
    const sub = client().changes.subscribe({ projectId: 'p' }, {}, { initialDelayMs: 1, maxDelayMs: 1 });
    await until(() => calls >= 2);
    sub.close();
  });

  it('throws a validation error naming the field for bad parameters', () => {
    const kms = client();
    expect(() => kms.changes.subscribe({}, {})).toThrow(KmsValidationError);
    expect(() => kms.changes.subscribe({ projectId: 'p', secretPath: 'app' }, {})).toThrowError(
      expect.objectContaining({ field: 'secretPath' }),
    );
    expect(() => kms.changes.subscribe({ projectId: 'p', environment: ' ' }, {})).toThrowError(
      expect.objectContaining({ field: 'environment' }),
    );
  });
});
