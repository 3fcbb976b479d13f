import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../src/app.js';
import { ApiClient } from '../../src/provisioning/api-client.js';
import { createSqliteStore, type OpenedStore, openStore } from '../../src/store/store.js';
import { newTestDatabaseUrl, onPostgres, roundRobin } from './replicas.js';
import { testKeyManager } from './test-key-manager.js';

/** A response as the tests look at it. */
export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** A project provisioned over HTTP: id, slug and its three default environments. */
export interface TestProject {
  id: string;
  slug: string;
}

/**
 * The app on 127.0.0.1:0 over a fresh store, bootstrapped over HTTP (docs/reference/): an admin
 * token, and helpers to add projects and identities. With KMS_TEST_DATABASE=postgres: two app
 * replicas on one new PostgreSQL database behind a round robin (test/helpers/replicas.ts).
 */
export interface SecretsFixture {
  url: string;
  store: OpenedStore;
  /** Runs raw SQL on the store's database (tests that tamper with rows), on either engine. */
  sql(statement: string): Promise<void>;
  adminToken: string;
  orgId: string;
  call<T = any>(
    method: string,
    path: string,
    options?: { body?: unknown; token?: string; headers?: Record<string, string> },
  ): Promise<Reply<T>>;
  /** A call with the admin token that must answer 200. */
  admin<T = any>(method: string, path: string, body?: unknown): Promise<T>;
  /** A new project (dev/staging/prod) owned by the admin identity. */
  newProject(): Promise<TestProject>;
  /** Creates secrets in one batch (the folder must exist). */
  seed(
    project: TestProject,
    environment: string,
    secretPath: string,
    secrets: Record<string, string>,
  ): Promise<void>;
  /** A Universal-Auth identity, member of the project with this role (none: not a member), logged in. */
  identityToken(project: TestProject | undefined, role?: string): Promise<string>;
  close(): Promise<void>;
}

/** Query string from an object (undefined values dropped). */
export function qs(params: Record<string, string | number | boolean | undefined>) {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) search.set(k, String(v));
  return `?${search}`;
}

/** Starts and bootstraps a server; `dbPath` uses a file database instead of `:memory:`. */
export async function startSecretsFixture(options: { dbPath?: string } = {}): Promise<SecretsFixture> {
  const keys = await testKeyManager();
  const databaseUrl = onPostgres && !options.dbPath ? await newTestDatabaseUrl() : undefined;
  const stores: OpenedStore[] = databaseUrl
    ? [
        await openStore({ postgres: { url: databaseUrl } }),
        await openStore({ postgres: { url: databaseUrl } }),
      ]
    : [await createSqliteStore(options.dbPath ?? ':memory:')];
  const servers = await Promise.all(
    stores.map((store) => {
      const app = createApp({ store, keys, settings: { rateLimit: false } });
      return new Promise<Server>((resolve) => {
        const s = app.listen(0, '127.0.0.1', () => resolve(s));
      });
    }),
  );
  const urls = servers.map((s) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`);
  const balancer = urls.length > 1 ? await roundRobin(urls) : undefined;
  const url = balancer?.url ?? (urls[0] as string);
  const store = stores[0] as OpenedStore;
  const sql = (statement: string) => store.sql.exec(statement);

  const client = new ApiClient(url);
  const call: SecretsFixture['call'] = async (method, path, { body, token, headers = {} } = {}) => {
    // A string body is sent as a JSON string here (test-server.ts sends it as it is).
    const answer = await client.exchange(method, path, {
      ...(body === undefined ? {} : { body: typeof body === 'string' ? JSON.stringify(body) : body }),
      ...(token ? { token } : {}),
      headers,
    });
    return { status: answer.status, body: answer.body as any, headers: answer.headers };
  };

  const boot = await call('POST', '/api/v1/admin/bootstrap', {
    body: { email: 'admin@example.test', password: 'S3cure-pass!', organization: 'e2e-org' },
  });
  if (boot.status !== 200) throw new Error(`bootstrap failed: ${boot.status} ${JSON.stringify(boot.body)}`);
  const adminToken: string = boot.body.identity.credentials.token;
  const orgId: string = boot.body.organization.id;

  const admin: SecretsFixture['admin'] = async (method, path, body) => {
    const r = await call(method, path, { body, token: adminToken });
    if (r.status !== 200) throw new Error(`${method} ${path} -> ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };

  return {
    url,
    store,
    sql,
    adminToken,
    orgId,
    call,
    admin,
    async seed(project, environment, secretPath, secrets) {
      await admin('POST', '/api/v3/secrets/batch/raw', {
        workspaceId: project.id,
        environment,
        secretPath,
        secrets: Object.entries(secrets).map(([secretKey, secretValue]) => ({ secretKey, secretValue })),
      });
    },
    async newProject() {
      const slug = `p-${randomUUID().slice(0, 8)}`;
      const { project } = await admin('POST', '/api/v2/workspace', {
        projectName: slug,
        slug,
        type: 'secret-manager',
      });
      return { id: project.id, slug: project.slug };
    },
    async identityToken(project, role = 'viewer') {
      const { identity } = await admin('POST', '/api/v1/identities', {
        name: `svc-${randomUUID().slice(0, 8)}`,
        organizationId: orgId,
        role: 'no-access',
      });
      const { identityUniversalAuth } = await admin(
        'POST',
        `/api/v1/auth/universal-auth/identities/${identity.id}`,
        {},
      );
      const secret = await admin(
        'POST',
        `/api/v1/auth/universal-auth/identities/${identity.id}/client-secrets`,
        {},
      );
      if (project) {
        await admin('POST', `/api/v2/workspace/${project.id}/identity-memberships/${identity.id}`, {
          roles: [{ role, isTemporary: false }],
        });
      }
      const login = await call('POST', '/api/v1/auth/universal-auth/login', {
        body: { clientId: identityUniversalAuth.clientId, clientSecret: secret.clientSecret },
      });
      if (login.status !== 200) throw new Error(`login failed: ${JSON.stringify(login.body)}`);
      return login.body.accessToken as string;
    },
    async close() {
      await balancer?.close();
      for (const server of servers) {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await closed;
      }
      await Promise.all(stores.map((s) => s.close()));
    },
  };
}
