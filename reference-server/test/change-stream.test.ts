// The change-notice stream (/api/v1/change-notices/stream) over real HTTP: notices in scope and
// never values, heartbeats, resume with Last-Event-ID, the bounds (per identity, idle timeout, slow
// readers), a revoked token ending the stream, and cross-project refusal. With
// KMS_TEST_DATABASE=postgres the server is two replicas behind a round robin, so writes and streams
// land on different replicas and notices cross through LISTEN/NOTIFY.
import { once } from 'node:events';
import type { Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { LocalKeyManager } from '../src/crypto/key-manager.js';
import { ChangeFeed } from '../src/domains/changes/change-feed.js';
import { createSqliteStore } from '../src/store/store.js';
import { openSse } from './helpers/sse.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

const VALUE = 'stream-secret-value-5b7c';
const MAX_PER_IDENTITY = 2;

let kms: TestServer;
let project: { id: string };
let other: { id: string };
let viewerToken: string;

const streamUrl = (query: Record<string, string>) =>
  `${kms.url}/api/v1/change-notices/stream?${new URLSearchParams(query)}`;

async function tokenFor(p: { id: string }, role: string) {
  const id = await kms.createMachineIdentity({ project: { id: p.id, role } });
  return (await kms.login(id.clientId, id.clientSecret)).body.accessToken as string;
}

const write = (key: string, secretPath = '/', environment = 'dev') =>
  kms.admin('POST', `/api/v3/secrets/raw/${key}`, {
    workspaceId: project.id,
    environment,
    secretPath,
    secretValue: VALUE,
  });

beforeAll(async () => {
  kms = await startTestServer({
    settings: { changeStream: { heartbeatMs: 150, idleTimeoutMs: 20_000, maxPerIdentity: MAX_PER_IDENTITY } },
  });
  project = await kms.createProject('stream-project');
  other = await kms.createProject('stream-other');
  for (const name of ['app', 'web'])
    await kms.admin('POST', '/api/v1/folders', {
      workspaceId: project.id,
      environment: 'dev',
      name,
      path: '/',
    });
  await kms.admin('POST', '/api/v1/folders', {
    workspaceId: project.id,
    environment: 'dev',
    name: 'db',
    path: '/app',
  });
  await kms.admin('POST', '/api/v1/folders', {
    workspaceId: project.id,
    environment: 'prod',
    name: 'app',
    path: '/',
  });
}, 60_000);
afterAll(() => kms?.close());

describe('change notices', () => {
  // A fresh identity per test: streams a failed test left open do not count against the next.
  beforeEach(async () => {
    viewerToken = await tokenFor(project, 'viewer');
  });

  it('sends ready, then a change event per write in scope, with no value or key name', async () => {
    const stream = await openSse(
      streamUrl({ projectId: project.id, environment: 'dev', secretPath: '/app' }),
      viewerToken,
    );
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const ready = await stream.next((e) => e.event === 'ready');
    expect(JSON.parse(ready.data)).toEqual({ heartbeatMs: 150 });
    await write('OUT_OF_SCOPE', '/web');
    await write('OTHER_ENV', '/app', 'prod');
    await write('BELOW', '/app/db');
    await write('IN_SCOPE', '/app');
    const change = await stream.next((e) => e.event === 'change');
    const data = JSON.parse(change.data);
    expect(data).toEqual({
      id: Number(change.id),
      projectId: project.id,
      environment: 'dev',
      secretPath: '/app',
      timestamp: expect.any(Number),
    });
    expect(JSON.stringify(stream.events)).not.toContain(VALUE);
    expect(JSON.stringify(stream.events)).not.toContain('IN_SCOPE');
    expect(stream.events.filter((e) => e.event === 'change')).toHaveLength(1);
    stream.close();
  });

  it('includes subfolders with recursive=true and every environment without one', async () => {
    const stream = await openSse(
      streamUrl({ projectId: project.id, secretPath: '/app', recursive: 'true' }),
      viewerToken,
    );
    await stream.next((e) => e.event === 'ready');
    await write('DEEP', '/app/db');
    await write('PROD_APP', '/app', 'prod');
    await stream.next((e) => e.event === 'change' && JSON.parse(e.data).environment === 'prod');
    const paths = stream.events.filter((e) => e.event === 'change').map((e) => JSON.parse(e.data).secretPath);
    expect(paths).toEqual(['/app/db', '/app']);
    stream.close();
  });

  it('sends notices for folder deletes and renames and import changes too (listings change)', async () => {
    const { folder } = await kms.admin('POST', '/api/v1/folders', {
      workspaceId: project.id,
      environment: 'dev',
      name: 'tmp',
      path: '/',
    });
    const stream = await openSse(
      streamUrl({ projectId: project.id, environment: 'dev', recursive: 'true' }),
      viewerToken,
    );
    await stream.next((e) => e.event === 'ready');
    await kms.admin('PATCH', `/api/v1/folders/${folder.id}`, {
      workspaceId: project.id,
      environment: 'dev',
      name: 'tmp2',
      path: '/',
    });
    await kms.admin('DELETE', '/api/v1/folders/tmp2', {
      workspaceId: project.id,
      environment: 'dev',
      path: '/',
    });
    const imported = await kms.call(
      'POST',
      '/api/v1/secret-imports',
      {
        workspaceId: project.id,
        environment: 'dev',
        path: '/web',
        import: { environment: 'prod', path: '/app' },
      },
      kms.adminToken,
    );
    expect(imported.status).toBe(200);
    await stream.next((e) => e.event === 'change' && JSON.parse(e.data).secretPath === '/web');
    const paths = stream.events.filter((e) => e.event === 'change').map((e) => JSON.parse(e.data).secretPath);
    expect(paths).toEqual(['/tmp', '/tmp2', '/tmp2', '/web']);
    stream.close();
  });

  it('sends heartbeats as comment lines', async () => {
    const stream = await openSse(streamUrl({ projectId: project.id }), viewerToken);
    await stream.next((e) => e.event === 'ready');
    const deadline = Date.now() + 5000;
    while (!stream.comments.includes('heartbeat') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(stream.comments).toContain('heartbeat');
    stream.close();
  });

  it('resumes after a reconnect with Last-Event-ID: the notices missed meanwhile, in order, once', async () => {
    const first = await openSse(streamUrl({ projectId: project.id, environment: 'dev' }), viewerToken);
    await first.next((e) => e.event === 'ready');
    await write('BEFORE_GAP', '/web');
    const seen = await first.next((e) => e.event === 'change');
    first.close();
    await first.done;
    await write('IN_GAP_1', '/web');
    await write('IN_GAP_2', '/app');
    const resumed = await openSse(streamUrl({ projectId: project.id, environment: 'dev' }), viewerToken, {
      'last-event-id': seen.id!,
    });
    await resumed.next((e) => e.event === 'change' && JSON.parse(e.data).secretPath === '/app');
    const changes = resumed.events.filter((e) => e.event === 'change');
    expect(changes.map((e) => JSON.parse(e.data).secretPath)).toEqual(['/web', '/app']);
    expect(Number(changes[0]!.id)).toBeGreaterThan(Number(seen.id));
    resumed.close();
  });

  it('refuses a malformed Last-Event-ID with 422', async () => {
    const bad = await openSse(streamUrl({ projectId: project.id }), viewerToken, { 'last-event-id': 'abc' });
    expect(bad.status).toBe(422);
    expect(bad.body.error).toBe('ValidationFailure');
  });

  it('ends the stream when its token is revoked', async () => {
    const token = await tokenFor(project, 'viewer');
    const stream = await openSse(streamUrl({ projectId: project.id }), token);
    await stream.next((e) => e.event === 'ready');
    const revoked = await kms.call('POST', '/api/v1/auth/token/revoke', { accessToken: token });
    expect(revoked.status).toBe(200);
    const end = await stream.next((e) => e.event === 'end', 5000);
    expect(JSON.parse(end.data)).toEqual({ reason: 'token-revoked' });
    await stream.done;
  });

  it('ends the stream when the identity loses its membership', async () => {
    const identity = await kms.createMachineIdentity({ project: { id: project.id, role: 'viewer' } });
    const token = (await kms.login(identity.clientId, identity.clientSecret)).body.accessToken as string;
    const stream = await openSse(streamUrl({ projectId: project.id }), token);
    await stream.next((e) => e.event === 'ready');
    await kms.admin('DELETE', `/api/v2/workspace/${project.id}/identity-memberships/${identity.identityId}`);
    const end = await stream.next((e) => e.event === 'end', 5000);
    expect(JSON.parse(end.data)).toEqual({ reason: 'access-revoked' });
  });

  it('bounds open streams per identity with 429 TooManyStreams', async () => {
    const token = await tokenFor(project, 'viewer');
    const open = [];
    let refused: Awaited<ReturnType<typeof openSse>> | undefined;
    // Limits are per replica: with two replicas behind the round robin, twice as many fit.
    for (let i = 0; i <= MAX_PER_IDENTITY * kms.replicas; i++) {
      const s = await openSse(streamUrl({ projectId: project.id }), token);
      if (s.status !== 200) {
        refused = s;
        break;
      }
      open.push(s);
    }
    expect(open).toHaveLength(MAX_PER_IDENTITY * kms.replicas);
    expect(refused?.status).toBe(429);
    expect(refused?.body).toMatchObject({ statusCode: 429, error: 'TooManyStreams' });
    expect(refused?.headers.get('retry-after')).toBe('5');
    for (const s of open) s.close();
    await Promise.all(open.map((s) => s.done));
    // Closed streams free their places.
    await new Promise((r) => setTimeout(r, 100));
    const again = await openSse(streamUrl({ projectId: project.id }), token);
    expect(again.status).toBe(200);
    again.close();
  });

  it('refuses other projects, no-access roles, unknown environments and bad input with the API error body', async () => {
    const outsider = await tokenFor(other, 'admin');
    expect((await openSse(streamUrl({ projectId: project.id }), outsider)).status).toBe(403);
    expect(
      (await openSse(streamUrl({ projectId: project.id }), await tokenFor(project, 'no-access'))).status,
    ).toBe(403);
    const unknownEnv = await openSse(streamUrl({ projectId: project.id, environment: 'nope' }), viewerToken);
    expect(unknownEnv.status).toBe(404);
    const noProject = await openSse(streamUrl({}), viewerToken);
    expect(noProject.status).toBe(422);
    expect(noProject.body.error).toBe('ValidationFailure');
    expect(
      (await openSse(streamUrl({ projectId: project.id, secretPath: '/a/../b' }), viewerToken)).status,
    ).toBe(422);
    const noToken = await fetch(streamUrl({ projectId: project.id }));
    expect(noToken.status).toBe(401);
  });

  it('audits opening a stream, never a value', async () => {
    const stream = await openSse(streamUrl({ projectId: project.id, environment: 'dev' }), viewerToken);
    await stream.next((e) => e.event === 'ready');
    stream.close();
    const logs = await kms.admin(
      'GET',
      `/api/v1/audit-logs?projectId=${project.id}&eventType=subscribe-secret-changes`,
    );
    expect(logs.auditLogs.length).toBeGreaterThan(0);
    expect(logs.auditLogs[0].event.metadata).toMatchObject({ environment: 'dev' });
  });
});

describe('bounds of one replica', () => {
  let server: Server;
  let url: string;
  let feed: ChangeFeed;
  let token: string;
  let projectId: string;

  beforeAll(async () => {
    const store = await createSqliteStore(':memory:');
    feed = new ChangeFeed(store);
    const app = createApp({
      store,
      keys: new LocalKeyManager(new Uint8Array(32).fill(7)),
      changes: feed,
      settings: {
        rateLimit: false,
        changeStream: { maxBufferedBytes: 4096, idleTimeoutMs: 400, heartbeatMs: 60_000, maxReplay: 3 },
      },
    });
    server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const post = async (path: string, body: unknown, bearer?: string) =>
      (
        await fetch(`${url}${path}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
          },
          body: JSON.stringify(body),
        })
      ).json() as Promise<any>;
    const boot = await post('/api/v1/admin/bootstrap', {
      email: 'a@example.test',
      password: 'S3cure-pass!',
      organization: 'o',
    });
    token = boot.identity.credentials.token;
    projectId = (await post('/api/v2/workspace', { projectName: 'bounds', slug: 'bounds' }, token)).project
      .id;
  });
  afterAll(async () => {
    await feed.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('ends a stream that carried nothing for the idle timeout', async () => {
    const stream = await openSse(`${url}/api/v1/change-notices/stream?projectId=${projectId}`, token);
    const end = await stream.next((e) => e.event === 'end', 5000);
    expect(JSON.parse(end.data)).toEqual({ reason: 'idle' });
  });

  it('says reset on resume when more notices were missed than it replays', async () => {
    const place = {
      projectId,
      projectName: 'bounds',
      envId: 'e',
      environment: 'dev',
      environmentName: 'Development',
      secretPath: '/',
      timestamp: Date.now(),
    };
    const before = await openSse(`${url}/api/v1/change-notices/stream?projectId=${projectId}`, token);
    await before.next((e) => e.event === 'ready');
    await feed.publish(place);
    const last = await before.next((e) => e.event === 'change');
    before.close();
    await feed.publish(place);
    await feed.publish(place);
    const within = await openSse(`${url}/api/v1/change-notices/stream?projectId=${projectId}`, token, {
      'last-event-id': last.id!,
    });
    await within.next((e) => e.event === 'change');
    expect(within.events.map((e) => e.event)).toEqual(['ready', 'change', 'change']);
    within.close();
    for (let i = 0; i < 3; i++) await feed.publish(place);
    const beyond = await openSse(`${url}/api/v1/change-notices/stream?projectId=${projectId}`, token, {
      'last-event-id': last.id!,
    });
    await beyond.next((e) => e.event === 'reset');
    expect(beyond.events.filter((e) => e.event === 'change')).toEqual([]);
    beyond.close();
  });

  it('cuts a reader that stops reading instead of buffering for it', async () => {
    const socket = connect(Number(new URL(url).port), '127.0.0.1');
    await once(socket, 'connect');
    socket.write(
      `GET /api/v1/change-notices/stream?projectId=${projectId} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`,
    );
    await once(socket, 'data');
    socket.pause(); // stops reading
    const place = {
      projectId,
      projectName: 'bounds',
      envId: 'e',
      environment: 'dev',
      environmentName: 'Development',
      secretPath: `/${'x'.repeat(1000)}`,
      timestamp: Date.now(),
    };
    // ~33 MB of notices: far more than the kernel's socket buffers hold; the server's own buffer is
    // capped at 4 KiB, past which the stream is cut.
    const published = 30_000;
    for (let i = 0; i < published; i++) {
      await feed.publish(place);
      if (i % 500 === 0) await new Promise((r) => setImmediate(r));
    }
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    socket.on('error', () => {});
    const closed = once(socket, 'close');
    socket.resume();
    await closed;
    const delivered = received.split('event: change').length - 1;
    expect(delivered).toBeGreaterThan(0);
    expect(delivered).toBeLessThan(published);
  }, 60_000);
});
