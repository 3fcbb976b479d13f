import { ApiClient } from '../../src/provisioning/api-client.js';
import { type RunningServer, type StartServerOptions, startServer } from '../../src/server.js';
import { newTestDatabaseUrl, onPostgres, roundRobin } from './replicas.js';
import { testKeyManager } from './test-key-manager.js';

/** A response as tests look at it. */
export interface CallResult<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** A clock tests can move forward. */
export class TestClock {
  t = Date.parse('2026-01-01T00:00:00Z');
  now = () => this.t;
  advance(seconds: number) {
    this.t += seconds * 1000;
  }
}

/** A started, bootstrapped server with helpers for provisioning over HTTP. */
export interface TestServer extends RunningServer {
  clock: TestClock;
  /** How many replicas answer `url` in turn (2 with KMS_TEST_DATABASE=postgres, else 1). */
  replicas: number;
  adminToken: string;
  orgId: string;
  call<T = any>(
    method: string,
    path: string,
    body?: unknown,
    token?: string,
    headers?: Record<string, string>,
  ): Promise<CallResult<T>>;
  /** Admin call that must succeed. */
  admin<T = any>(method: string, path: string, body?: unknown): Promise<T>;
  createProject(slug: string): Promise<{ id: string; slug: string }>;
  /** Identity with Universal Auth and a client secret, optionally a member of a project. */
  createMachineIdentity(options?: {
    ua?: Record<string, unknown>;
    project?: { id: string; role: string };
    clientSecret?: Record<string, unknown>;
  }): Promise<{ identityId: string; clientId: string; clientSecret: string }>;
  login(clientId: string, clientSecret: string): Promise<CallResult>;
}

export async function startTestServer(
  options: StartServerOptions & { bootstrap?: boolean } = {},
): Promise<TestServer> {
  const clock = new TestClock();
  const keyManager = options.keyManager ?? (options.rootEncryptionKey ? undefined : await testKeyManager());
  const settings: StartServerOptions = {
    rateLimit: false,
    now: clock.now,
    ...options,
    ...(keyManager ? { keyManager } : {}),
  };
  // On PostgreSQL: two replicas behind a round robin, unless the test chose its store, or tests
  // rate limits (they are per replica by design: reference-server/README.md).
  const ownStore = options.database || options.dataDir || options.databaseUrl;
  const replicas = onPostgres && !ownStore ? (typeof options.rateLimit === 'object' ? 1 : 2) : 1;
  const server = replicas > 1 ? await startReplicas(settings, replicas) : await startServer(settings);
  const client = new ApiClient(server.url);
  const call = async (
    method: string,
    path: string,
    body?: unknown,
    token?: string,
    headers: Record<string, string> = {},
  ) => {
    // The wire as it is: any status, the body parsed when it is JSON and kept as text when not.
    const answer = await client.exchange(method, path, {
      ...(body === undefined ? {} : { body }),
      ...(token ? { token } : {}),
      headers,
    });
    return { status: answer.status, body: answer.body as any, headers: answer.headers };
  };
  let adminToken = '';
  let orgId = '';
  if (options.bootstrap !== false) {
    const boot = await call('POST', '/api/v1/admin/bootstrap', {
      email: 'admin@example.test',
      password: 'S3cure-pass!',
      organization: 'e2e-org',
    });
    if (boot.status !== 200) throw new Error(`bootstrap failed: ${JSON.stringify(boot.body)}`);
    adminToken = boot.body.identity.credentials.token;
    orgId = boot.body.organization.id;
  }
  const admin = async (method: string, path: string, body?: unknown) => {
    const r = await call(method, path, body, adminToken);
    if (r.status !== 200) throw new Error(`${method} ${path} -> ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  return {
    ...server,
    replicas,
    clock,
    adminToken,
    orgId,
    call,
    admin,
    async createProject(slug) {
      return (await admin('POST', '/api/v2/workspace', { projectName: slug, slug })).project;
    },
    async createMachineIdentity({ ua = {}, project, clientSecret = {} } = {}) {
      const { identity } = await admin('POST', '/api/v1/identities', {
        name: `svc-${Math.random()}`,
        organizationId: orgId,
      });
      const { identityUniversalAuth } = await admin(
        'POST',
        `/api/v1/auth/universal-auth/identities/${identity.id}`,
        ua,
      );
      const secret = await admin(
        'POST',
        `/api/v1/auth/universal-auth/identities/${identity.id}/client-secrets`,
        clientSecret,
      );
      if (project) {
        await admin('POST', `/api/v2/workspace/${project.id}/identity-memberships/${identity.id}`, {
          role: project.role,
        });
      }
      return {
        identityId: identity.id,
        clientId: identityUniversalAuth.clientId,
        clientSecret: secret.clientSecret,
      };
    },
    login(clientId, clientSecret) {
      return call('POST', '/api/v1/auth/universal-auth/login', { clientId, clientSecret });
    },
  };
}

/** `count` servers on one new PostgreSQL database, seen through one URL that alternates between them. */
async function startReplicas(settings: StartServerOptions, count: number): Promise<RunningServer> {
  const databaseUrl = await newTestDatabaseUrl();
  const replicas: RunningServer[] = [];
  for (let i = 0; i < count; i++) replicas.push(await startServer({ ...settings, databaseUrl }));
  const first = replicas[0] as RunningServer;
  const balancer = await roundRobin(replicas.map((r) => r.url));
  return {
    ...first,
    url: balancer.url,
    port: Number(new URL(balancer.url).port),
    async close() {
      await balancer.close();
      await Promise.all(replicas.map((r) => r.close()));
    },
  };
}
