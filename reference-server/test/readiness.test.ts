// GET /api/status/ready: 200 when the store answers and the root key opens the signing secret, 503
// naming the failing part otherwise; a passing key check is reused for 30 s, a failing one is not.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { KeyBackendError, type KeyManager } from '../src/crypto/key-manager.js';
import { testKeyManager } from './helpers/test-key-manager.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

let server: TestServer;
let failing = false;
let unwraps = 0;
beforeAll(async () => {
  const inner = await testKeyManager();
  const flaky: KeyManager = {
    describe: () => inner.describe(),
    generateDataKey: () => inner.generateDataKey(),
    wrapDataKey: (key) => inner.wrapDataKey(key),
    unwrapDataKey: async (wrapped) => {
      unwraps++;
      if (failing) throw new KeyBackendError('vault-transit', 'vault.internal (key kms-root) did not answer');
      return inner.unwrapDataKey(wrapped);
    },
  };
  server = await startTestServer({ keyManager: flaky });
});
afterAll(() => server?.close());

it('reports the store and the key backend, reuses a pass for 30 s, and answers 503 without details on failure', async () => {
  // Each replica keeps its own pass: check through every one (a round robin takes turns).
  const ready = () =>
    Promise.all(Array.from({ length: server.replicas }, () => server.call('GET', '/api/status/ready')));
  const first = (await ready())[0] as Awaited<ReturnType<TestServer['call']>>;
  expect(first.status).toBe(200);
  expect(first.body).toMatchObject({
    ready: true,
    store: { ok: true, latencyMs: expect.any(Number) },
    keyBackend: { ok: true, backend: expect.any(String), latencyMs: expect.any(Number) },
  });
  const before = unwraps;
  failing = true;
  expect((await ready()).map((r) => r.status)).toEqual(Array(server.replicas).fill(200));
  expect(unwraps).toBe(before);

  server.clock.advance(31);
  const down = await server.call('GET', '/api/status/ready');
  expect(down.status).toBe(503);
  expect(down.body).toMatchObject({ ready: false, store: { ok: true }, keyBackend: { ok: false } });
  expect(JSON.stringify(down.body)).not.toMatch(/vault\.internal|kms-root/);

  failing = false;
  const back = await server.call('GET', '/api/status/ready');
  expect(back.status).toBe(200);
});
