// Webhooks (/api/v1/webhooks) over real HTTP with a real loopback receiver: upstream's routes and
// payload, the signature checked with the SDK's verifyWebhookSignature, delivery after the write
// without blocking it, retries, timeouts, unreachable receivers, the private-address guard, roles,
// cross-project refusal, audit entries and the URL and key sealed at rest.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhookSignature } from '@hanzo/kms';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { OpenedStore } from '../src/store/store.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

const KEY = 'whsec-3c1f-signing-key';
const VALUE = 'webhook-secret-value-9d2e';

/** A loopback HTTP receiver whose answer each test decides. */
class Receiver {
  readonly deliveries: { headers: IncomingMessage['headers']; body: string; at: number }[] = [];
  /** Answers request n (0-based) with the returned status, or holds it when `hold`. */
  answer: (n: number) => number | 'hold' = () => 200;
  private held: ServerResponse[] = [];
  private server!: Server;
  url = '';

  async start() {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const n = this.deliveries.length;
        this.deliveries.push({ headers: req.headers, body, at: Date.now() });
        const status = this.answer(n);
        if (status === 'hold') this.held.push(res);
        else res.writeHead(status).end('ok');
      });
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks/kms?token=t0k`;
  }

  release() {
    for (const res of this.held.splice(0)) res.writeHead(200).end('late');
  }

  reset() {
    this.release();
    this.deliveries.length = 0;
    this.answer = () => 200;
  }

  close() {
    this.release();
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(r));
  }
}

async function until<T>(check: () => Promise<T | undefined> | T | undefined, what: string, ms = 10_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

let kms: TestServer;
let project: { id: string; slug: string };
let other: { id: string; slug: string };
const receiver = new Receiver();
const tokens: Record<string, string> = {};

const as = (who: string) => (method: string, path: string, body?: unknown) =>
  kms.call(method, path, body, tokens[who]);
const admin = as('admin');

async function tokenFor(p: { id: string }, role: string) {
  const id = await kms.createMachineIdentity({ project: { id: p.id, role } });
  return (await kms.login(id.clientId, id.clientSecret)).body.accessToken as string;
}

async function createHook(body: Record<string, unknown> = {}) {
  const r = await admin('POST', '/api/v1/webhooks', {
    projectId: project.id,
    environment: 'dev',
    webhookUrl: receiver.url,
    webhookSecretKey: KEY,
    ...body,
  });
  if (r.status !== 200) throw new Error(`create webhook: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.webhook as { id: string; lastStatus: string | null; lastRunErrorMessage: string | null };
}

async function hookState(id: string) {
  const r = await admin('GET', `/api/v1/webhooks?projectId=${project.id}`);
  return (
    r.body.webhooks as { id: string; lastStatus: string | null; lastRunErrorMessage: string | null }[]
  ).find((w) => w.id === id);
}

const writeSecret = (key: string, secretPath = '/', environment = 'dev') =>
  admin('POST', `/api/v3/secrets/raw/${key}`, {
    workspaceId: project.id,
    environment,
    secretPath,
    secretValue: VALUE,
  });

beforeAll(async () => {
  await receiver.start();
  kms = await startTestServer({
    settings: { allowPrivateUrls: true, webhooks: { timeoutMs: 500, attempts: 3, retryDelayMs: 20 } },
  });
  project = await kms.createProject('hooks-project');
  other = await kms.createProject('hooks-other');
  tokens.admin = kms.adminToken;
  for (const role of ['member', 'viewer', 'no-access']) tokens[role] = await tokenFor(project, role);
  tokens.outsider = await tokenFor(other, 'admin');
  await admin('POST', '/api/v1/folders', {
    workspaceId: project.id,
    environment: 'dev',
    name: 'app',
    path: '/',
  });
}, 60_000);
afterAll(async () => {
  await kms?.close();
  await receiver.close();
});
beforeEach(async () => {
  receiver.reset();
  // Each test starts with no webhooks.
  const list = await admin('GET', `/api/v1/webhooks?projectId=${project.id}`);
  for (const w of list.body.webhooks ?? []) await admin('DELETE', `/api/v1/webhooks/${w.id}`);
});

describe('webhook management', () => {
  it('creates, lists, updates and deletes with upstream shapes; the URL shows only in the list', async () => {
    const created = await admin('POST', '/api/v1/webhooks', {
      projectId: project.id,
      environment: 'dev',
      webhookUrl: receiver.url,
      webhookSecretKey: KEY,
      secretPath: '/app/',
    });
    expect(created.status).toBe(200);
    expect(created.body.message).toBe('Successfully created webhook');
    const webhook = created.body.webhook;
    expect(webhook).toMatchObject({
      projectId: project.id,
      secretPath: '/app',
      type: 'general',
      isDisabled: false,
      lastStatus: null,
      lastRunErrorMessage: null,
      eventsFilter: [],
      environment: { slug: 'dev' },
    });
    expect(JSON.stringify(webhook)).not.toContain(KEY);
    expect(webhook).not.toHaveProperty('url');

    const list = await as('viewer')('GET', `/api/v1/webhooks?projectId=${project.id}&environment=dev`);
    expect(list.status).toBe(200);
    expect(list.body.webhooks).toHaveLength(1);
    expect(list.body.webhooks[0]).toMatchObject({ id: webhook.id, url: receiver.url });
    expect(JSON.stringify(list.body)).not.toContain(KEY);
    expect(
      (await admin('GET', `/api/v1/webhooks?projectId=${project.id}&secretPath=/other`)).body.webhooks,
    ).toHaveLength(0);

    const patched = await as('member')('PATCH', `/api/v1/webhooks/${webhook.id}`, {
      isDisabled: true,
      eventsFilter: [{ eventName: 'secrets.modified' }],
    });
    expect(patched.status).toBe(200);
    expect(patched.body.webhook).toMatchObject({
      isDisabled: true,
      eventsFilter: [{ eventName: 'secrets.modified' }],
    });

    const deleted = await admin('DELETE', `/api/v1/webhooks/${webhook.id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body.webhook.id).toBe(webhook.id);
    expect((await admin('DELETE', `/api/v1/webhooks/${webhook.id}`)).status).toBe(404);
  });

  it('keeps the URL and the key only as ciphertext in the store', async () => {
    const hook = await createHook();
    const row = await (kms.store as OpenedStore).sql.one('SELECT * FROM webhooks WHERE id = ?', [hook.id]);
    const stored = JSON.stringify(row);
    expect(stored).not.toContain(KEY);
    expect(stored).not.toContain('127.0.0.1');
    expect(stored).not.toContain('hooks/kms');
  });

  it('refuses bad input with 422 naming the field, unknown ids with 404', async () => {
    const bad = async (body: Record<string, unknown>, field: string) => {
      const r = await admin('POST', '/api/v1/webhooks', {
        projectId: project.id,
        environment: 'dev',
        webhookUrl: receiver.url,
        ...body,
      });
      expect(r.status, JSON.stringify(body)).toBe(422);
      expect(JSON.stringify(r.body.details ?? r.body)).toContain(field);
    };
    await bad({ webhookUrl: 'not a url' }, 'webhookUrl');
    await bad({ webhookUrl: 'ftp://example.com/x' }, 'webhookUrl');
    await bad({ type: 'slack' }, 'type');
    await bad({ eventsFilter: [{ eventName: 'secrets.deleted' }] }, 'eventsFilter');
    await bad({ environment: 'Not A Slug' }, 'environment');
    const noFields = await admin('PATCH', `/api/v1/webhooks/${(await createHook()).id}`, {});
    expect(noFields.status).toBe(422);
    expect((await admin('PATCH', '/api/v1/webhooks/not-a-uuid', { isDisabled: true })).status).toBe(422);
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect((await admin('POST', `/api/v1/webhooks/${unknown}/test`)).status).toBe(404);
    const noEnv = await admin('POST', '/api/v1/webhooks', {
      projectId: project.id,
      environment: 'nope',
      webhookUrl: receiver.url,
    });
    expect(noEnv.status).toBe(404);
  });

  it('applies upstream roles and refuses other projects', async () => {
    const hook = await createHook();
    const create = { projectId: project.id, environment: 'dev', webhookUrl: receiver.url };
    expect((await as('viewer')('POST', '/api/v1/webhooks', create)).status).toBe(403);
    expect((await as('viewer')('DELETE', `/api/v1/webhooks/${hook.id}`)).status).toBe(403);
    expect((await as('no-access')('GET', `/api/v1/webhooks?projectId=${project.id}`)).status).toBe(403);
    expect((await as('member')('POST', '/api/v1/webhooks', create)).status).toBe(200);
    // An admin of another project reaches none of this project's webhooks.
    const outsider = as('outsider');
    expect((await outsider('GET', `/api/v1/webhooks?projectId=${project.id}`)).status).toBe(403);
    expect((await outsider('POST', '/api/v1/webhooks', create)).status).toBe(403);
    expect((await outsider('PATCH', `/api/v1/webhooks/${hook.id}`, { isDisabled: true })).status).toBe(403);
    expect((await outsider('DELETE', `/api/v1/webhooks/${hook.id}`)).status).toBe(403);
    expect((await outsider('POST', `/api/v1/webhooks/${hook.id}/test`)).status).toBe(403);
    expect((await outsider('GET', `/api/v1/webhooks?projectId=${other.id}`)).body.webhooks).toEqual([]);
    expect((await admin('GET', `/api/v1/webhooks?projectId=${project.id}`)).body.webhooks[0].isDisabled).toBe(
      false,
    );
  });
});

describe('delivery', () => {
  it('POSTs upstream payload signed with x-infisical-signature after a secret write, never the value', async () => {
    const hook = await createHook();
    expect((await writeSecret('SIGNED_KEY')).status).toBe(200);
    const delivery = await until(() => receiver.deliveries[0], 'a delivery');
    const payload = JSON.parse(delivery.body);
    expect(payload).toEqual({
      event: 'secrets.modified',
      project: {
        workspaceId: project.id,
        projectId: project.id,
        projectName: 'hooks-project',
        environment: 'dev',
        environmentName: 'Development',
        secretPath: '/',
      },
      timestamp: expect.any(Number),
    });
    expect(delivery.body).not.toContain(VALUE);
    expect(delivery.body).not.toContain('SIGNED_KEY');
    const header = delivery.headers['x-infisical-signature'] as string;
    expect(header).toMatch(new RegExp(`^t=${payload.timestamp};[0-9a-f]{64}$`));
    expect(await verifyWebhookSignature(delivery.body, header, KEY, { now: payload.timestamp })).toBe(true);
    expect(await verifyWebhookSignature(delivery.body, header, 'wrong', { now: payload.timestamp })).toBe(
      false,
    );
    const state = await until(
      async () => (await hookState(hook.id))?.lastStatus && hookState(hook.id),
      'status',
    );
    expect(state).toMatchObject({ lastStatus: 'success', lastRunErrorMessage: null });
  });

  it('sends no signature header without a key, and every kind of write is delivered', async () => {
    await createHook({ webhookSecretKey: undefined });
    await writeSecret('UNSIGNED');
    await admin('PATCH', '/api/v3/secrets/raw/UNSIGNED', {
      workspaceId: project.id,
      environment: 'dev',
      secretValue: 'next',
    });
    await admin('DELETE', '/api/v3/secrets/raw/UNSIGNED', { workspaceId: project.id, environment: 'dev' });
    await until(() => receiver.deliveries.length >= 3, 'three deliveries');
    expect(receiver.deliveries[0]!.headers['x-infisical-signature']).toBeUndefined();
  });

  it('answers the write before the receiver answers (delivery never blocks a write)', async () => {
    const hook = await createHook();
    receiver.answer = () => 'hold';
    const write = await writeSecret('WHILE_HELD');
    expect(write.status).toBe(200);
    await until(() => receiver.deliveries[0], 'the held delivery');
    expect((await hookState(hook.id))?.lastStatus).toBeNull();
    receiver.release();
    await until(async () => (await hookState(hook.id))?.lastStatus === 'success', 'success after release');
  });

  it('scopes by environment and secret-path glob, and skips disabled webhooks', async () => {
    await createHook({ secretPath: '/app/**' });
    const disabled = await createHook({ secretPath: '/' });
    await admin('PATCH', `/api/v1/webhooks/${disabled.id}`, { isDisabled: true });
    await writeSecret('ROOT_ONLY', '/');
    await writeSecret('PROD_APP', '/', 'prod');
    await writeSecret('IN_APP', '/app');
    const delivery = await until(() => receiver.deliveries[0], 'the /app delivery');
    expect(JSON.parse(delivery.body).project.secretPath).toBe('/app');
    // A later write proves the earlier ones were considered (deliveries keep write order per hook).
    await writeSecret('IN_APP_2', '/app');
    await until(() => receiver.deliveries.length >= 2, 'the second /app delivery');
    expect(receiver.deliveries.map((d) => JSON.parse(d.body).project.secretPath)).toEqual(['/app', '/app']);
  });

  it('retries a failing receiver and records the last status and error', async () => {
    const hook = await createHook();
    receiver.answer = (n) => (n < 2 ? 500 : 200);
    await writeSecret('RETRIED');
    await until(async () => (await hookState(hook.id))?.lastStatus === 'success', 'success on the third try');
    expect(receiver.deliveries).toHaveLength(3);

    receiver.reset();
    receiver.answer = () => 503;
    await writeSecret('ALWAYS_FAILS');
    const failed = await until(
      async () => ((await hookState(hook.id))?.lastStatus === 'failed' ? hookState(hook.id) : undefined),
      'failed',
    );
    expect(failed?.lastRunErrorMessage).toBe('the receiver answered HTTP 503');
    expect(receiver.deliveries).toHaveLength(3);
  });

  it('times out a receiver that never answers, and records an unreachable one', async () => {
    const hook = await createHook();
    receiver.answer = () => 'hold';
    await writeSecret('TIMES_OUT');
    const state = await until(
      async () => ((await hookState(hook.id))?.lastStatus === 'failed' ? hookState(hook.id) : undefined),
      'a timeout',
    );
    expect(state?.lastRunErrorMessage).toBe('no answer within 500 ms');

    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const dead = await createHook({ webhookUrl: `http://127.0.0.1:${port}/gone` });
    const tested = await admin('POST', `/api/v1/webhooks/${dead.id}/test`);
    expect(tested.status).toBe(200);
    expect(tested.body.webhook).toMatchObject({
      lastStatus: 'failed',
      lastRunErrorMessage: 'the request failed: ECONNREFUSED',
    });
  });

  it('sends the test event on /test and records its outcome', async () => {
    const hook = await createHook({ secretPath: '/app' });
    const tested = await as('viewer')('POST', `/api/v1/webhooks/${hook.id}/test`);
    expect(tested.status).toBe(200);
    expect(tested.body).toMatchObject({
      message: 'Successfully tested webhook',
      webhook: { id: hook.id, lastStatus: 'success', lastRunErrorMessage: null },
    });
    const payload = JSON.parse(receiver.deliveries[0]!.body);
    expect(payload).toMatchObject({ event: 'test', project: { projectId: project.id, secretPath: '/app' } });
  });

  it('audits management and deliveries with upstream event names and no URL, key or value', async () => {
    const hook = await createHook();
    await writeSecret('AUDITED');
    await until(async () => (await hookState(hook.id))?.lastStatus, 'a delivery');
    const logs = await admin('GET', `/api/v1/audit-logs?projectId=${project.id}&limit=200`);
    const entries = logs.body.auditLogs as {
      event: { type: string; metadata: unknown };
      actor: { type: string };
    }[];
    const types = entries.map((e) => e.event.type);
    expect(types).toEqual(expect.arrayContaining(['create-webhook', 'webhook-triggered', 'get-webhooks']));
    const triggered = entries.find((e) => e.event.type === 'webhook-triggered')!;
    expect(triggered.event.metadata).toMatchObject({
      webhookId: hook.id,
      type: 'secrets.modified',
      status: 'success',
    });
    expect(triggered.actor.type).toBe('platform');
    const text = JSON.stringify(entries);
    expect(text).not.toContain(KEY);
    expect(text).not.toContain('hooks/kms');
    expect(text).not.toContain(VALUE);
  });
});

describe('private addresses', () => {
  let strict: TestServer;
  beforeAll(async () => {
    strict = await startTestServer({ settings: { webhooks: { timeoutMs: 500, attempts: 1 } } });
  }, 60_000);
  afterAll(() => strict?.close());

  it('refuses loopback, private and link-local targets unless KMS_ALLOW_PRIVATE_URLS allows them', async () => {
    const p = await strict.createProject('strict-project');
    for (const url of [
      receiver.url,
      'http://localhost:9/x',
      'http://10.1.2.3/x',
      'http://169.254.169.254/latest/meta-data',
      'http://[::1]:9/x',
    ]) {
      const r = await strict.call(
        'POST',
        '/api/v1/webhooks',
        { projectId: p.id, environment: 'dev', webhookUrl: url },
        strict.adminToken,
      );
      expect(r.status, url).toBe(400);
      expect(r.body.message).toMatch(/private address .*KMS_ALLOW_PRIVATE_URLS=true/);
    }
  });
});
