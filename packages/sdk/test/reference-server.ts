// Starts the reference server (@hanzo/kms-server) on port 0 and provisions what a test needs over plain
// HTTP, following docs/reference/api.md#provisioning-over-http, with the server's own API client
// (reference-server/src/provisioning/api-client.ts). The SDK is never used here: this is the black box's setup.
import { ApiClient } from '@hanzo/kms-server';

interface RunningServer {
  url: string;
  close(): Promise<void>;
}
/** Options of the server's `startServer` that these tests use. */
export interface StartOptions {
  port?: number;
  rateLimit?: false | Record<string, number>;
  logger?: boolean;
  settings?: Record<string, unknown>;
  /** Folder holding the SQLite file: a restarted server on it keeps its data and tokens. */
  dataDir?: string;
  databaseUrl?: string;
  rootEncryptionKey?: string;
}
type StartServer = (options: StartOptions) => Promise<RunningServer>;

/**
 * The reference server's built module, imported by name. `@hanzo/kms-server` is a devDependency of
 * the workspace root (package.json), not of this package: the server's `kms` key backend depends on
 * this SDK, so a dependency back would be a package cycle (docs/architecture.md). turbo.json builds
 * the server before this package's typecheck and tests.
 */
export async function loadServerModule(): Promise<Record<string, unknown>> {
  return import('@hanzo/kms-server');
}

/** Loads `startServer` from the reference server. */
export async function loadStartServer(): Promise<StartServer> {
  const mod = (await loadServerModule()) as { startServer?: StartServer };
  if (typeof mod.startServer !== 'function') throw new Error('@hanzo/kms-server does not export startServer');
  return mod.startServer;
}

/** Settings of the Universal Auth identity a test wants. */
export interface IdentityPlan {
  accessTokenTTL?: number;
  accessTokenMaxTTL?: number;
  accessTokenNumUsesLimit?: number;
  role?: 'viewer' | 'member' | 'admin';
}

/** A provisioned project and identity. */
export interface Provisioned {
  url: string;
  adminToken: string;
  projectId: string;
  projectSlug: string;
  clientId: string;
  clientSecret: string;
}

/** A started reference server with an admin token (bootstrap done once). */
export class ReferenceServer {
  private constructor(
    readonly url: string,
    readonly adminToken: string,
    readonly orgId: string,
    private readonly server: RunningServer,
    private readonly api: ApiClient,
  ) {}

  static async start(
    startServer: StartServer,
    rateLimit: false | Record<string, number> = false,
    settings?: Record<string, unknown>,
    store: Pick<StartOptions, 'dataDir' | 'databaseUrl' | 'rootEncryptionKey'> = {},
  ): Promise<ReferenceServer> {
    const server = await startServer({
      port: 0,
      rateLimit,
      logger: false,
      ...(settings ? { settings } : {}),
      ...store,
    });
    const api = new ApiClient(server.url);
    const boot = await api.call<{
      identity: { credentials: { token: string } };
      organization: { id: string };
    }>('POST', '/api/v1/admin/bootstrap', {
      email: 'admin@example.test',
      password: 'S3cure-pass!',
      organization: 'sdk-tests',
    });
    api.useToken(boot.identity.credentials.token);
    return new ReferenceServer(
      server.url,
      boot.identity.credentials.token,
      boot.organization.id,
      server,
      api,
    );
  }

  close(): Promise<void> {
    return this.server.close();
  }

  /** As the admin: any call of the management API. */
  admin<T>(method: string, path: string, body?: unknown): Promise<T> {
    return this.api.call<T>(method, path, body);
  }

  /** A fresh project with `secrets` at `secretPath` in `dev`, and an identity with the given token plan. */
  async provision(
    plan: IdentityPlan = {},
    secrets: Record<string, string> = { DB_HOST: 'db.internal', DB_USER: 'app', DB_PASS: 'p4ss' },
    secretPath = '/app',
  ): Promise<Provisioned> {
    const rand = Math.random().toString(36).slice(2, 10);
    const slug = `sdk-${rand}`;
    const { project } = await this.admin<{ project: { id: string } }>('POST', '/api/v2/workspace', {
      projectName: `SDK ${rand}`,
      slug,
      type: 'secret-manager',
    });
    if (secretPath !== '/') {
      const name = secretPath.split('/').filter(Boolean);
      let parent = '/';
      for (const segment of name) {
        await this.admin('POST', '/api/v1/folders', {
          workspaceId: project.id,
          environment: 'dev',
          name: segment,
          path: parent,
        });
        parent = parent === '/' ? `/${segment}` : `${parent}/${segment}`;
      }
    }
    const entries = Object.entries(secrets);
    if (entries.length) {
      await this.admin('POST', '/api/v3/secrets/batch/raw', {
        workspaceId: project.id,
        environment: 'dev',
        secretPath,
        secrets: entries.map(([secretKey, secretValue]) => ({ secretKey, secretValue })),
      });
    }
    const { identity } = await this.admin<{ identity: { id: string } }>('POST', '/api/v1/identities', {
      name: `reader-${rand}`,
      organizationId: this.orgId,
      role: 'no-access',
    });
    const attach: Record<string, number> = {};
    if (plan.accessTokenTTL !== undefined) attach.accessTokenTTL = plan.accessTokenTTL;
    if (plan.accessTokenMaxTTL !== undefined) attach.accessTokenMaxTTL = plan.accessTokenMaxTTL;
    if (plan.accessTokenNumUsesLimit !== undefined)
      attach.accessTokenNumUsesLimit = plan.accessTokenNumUsesLimit;
    const { identityUniversalAuth } = await this.admin<{ identityUniversalAuth: { clientId: string } }>(
      'POST',
      `/api/v1/auth/universal-auth/identities/${identity.id}`,
      attach,
    );
    const { clientSecret } = await this.admin<{ clientSecret: string }>(
      'POST',
      `/api/v1/auth/universal-auth/identities/${identity.id}/client-secrets`,
      { description: 'sdk-test', ttl: 0, numUsesLimit: 0 },
    );
    await this.admin('POST', `/api/v2/workspace/${project.id}/identity-memberships/${identity.id}`, {
      roles: [{ role: plan.role ?? 'member', isTemporary: false }],
    });
    return {
      url: this.url,
      adminToken: this.adminToken,
      projectId: project.id,
      projectSlug: slug,
      clientId: identityUniversalAuth.clientId,
      clientSecret,
    };
  }
}
