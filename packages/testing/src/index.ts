/**
 * `@hanzo/kms-testing`: start a provisioned Hanzo KMS reference server in your tests and talk
 * to it over real HTTP, the way your service will talk to the real one.
 *
 * ```ts
 * const kms = await startKmsTestServer({ secrets: { dev: { '/app': { DATABASE_URL: 'postgres://…' } } } });
 * process.env.KMS_SITE_URL = kms.url; // plus kms.clientId / kms.clientSecret / kms.projectSlug
 * await kms.close();
 * ```
 * @packageDocumentation
 */
import {
  ApiCallError,
  ApiClient,
  type OidcProvider,
  type StartServerOptions,
  startServer,
} from '@hanzo/kms-server';

export { type KmsDevServer, kmsServerCli, startKmsDevServer } from './dev-server.js';
export {
  type OidcProvider,
  type OidcProviderOptions,
  type SvidOptions,
  startOidcProvider,
} from '@hanzo/kms-server';

/** Options of {@link KmsTestServer.addOidcIdentity}. */
export interface OidcIdentityOptions {
  /** Expected `sub` (exact or glob). @default the provider's default SPIFFE ID, `spiffe://example.org/workload` */
  boundSubject?: string;
  /** Allowed audiences, comma-separated. @default 'kms' */
  boundAudiences?: string;
  /** Claim path → allowed values. @default none */
  boundClaims?: Record<string, string>;
  /** Project role. @default 'viewer' */
  role?: TestIdentityRole;
  /** Seconds. @default 3600 */
  accessTokenTTL?: number;
  /** Seconds. @default 86400 */
  accessTokenMaxTTL?: number;
  /** @default 0 (unlimited) */
  accessTokenNumUsesLimit?: number;
}

/** Project role of the test identity. */
export type TestIdentityRole = 'viewer' | 'member' | 'admin';

/** What to provision. */
export interface KmsTestServerOptions {
  /** Slug of the test project. @default `test-` plus random characters */
  projectSlug?: string;
  /** Secrets by environment slug, then folder path (folders are created as needed). @default none */
  secrets?: Record<string, Record<string, Record<string, string>>>;
  /** The machine identity the test logs in as (Universal Auth). */
  identity?: {
    /** @default 'viewer' */
    role?: TestIdentityRole;
    /** Seconds. @default 3600 */
    accessTokenTTL?: number;
    /** Seconds. @default 86400 */
    accessTokenMaxTTL?: number;
    /** @default 0 (unlimited) */
    accessTokenNumUsesLimit?: number;
  };
  /** Server options; `rateLimit` defaults to `false` here. */
  server?: StartServerOptions;
}

/** A running, provisioned server. */
export interface KmsTestServer {
  /** Site URL (no `/api` suffix). */
  url: string;
  /** Instance-admin token (never expires). */
  adminToken: string;
  organizationId: string;
  projectId: string;
  projectSlug: string;
  /** The test identity. */
  identityId: string;
  clientId: string;
  clientSecret: string;
  /** Admin-authenticated JSON call; throws with the status and body on a non-2xx answer. */
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  /** Creates the folder path if needed, then creates or updates the secret. */
  setSecret(environment: string, secretPath: string, key: string, value: string): Promise<void>;
  deleteSecret(environment: string, secretPath: string, key: string): Promise<void>;
  /** Creates every folder of a path (`/a/b` creates `a` then `b`); existing ones are kept. */
  ensureFolder(environment: string, secretPath: string): Promise<void>;
  /** A new client secret for the test identity (for rotation tests). */
  newClientSecret(): Promise<string>;
  /**
   * A second machine identity that logs in with OIDC Auth against `provider` (a
   * {@link startOidcProvider} or any discovery URL the server can reach), member of the test project.
   * Returns its identity id.
   */
  addOidcIdentity(provider: Pick<OidcProvider, 'issuer'>, options?: OidcIdentityOptions): Promise<string>;
  close(): Promise<void>;
}

/** Error of an admin call, with the status to assert on. */
export class KmsTestApiError extends Error {
  override name = 'KmsTestApiError';
  constructor(
    readonly status: number,
    readonly body: string,
    what: string,
  ) {
    super(`${what} failed with ${status}: ${body.slice(0, 500)}`);
  }
}

/**
 * Starts a reference server on 127.0.0.1 (port 0) and provisions a project and identity over HTTP.
 * OIDC providers on loopback are allowed (`settings.oidc.allowPrivateUrls`), so a test provider works.
 */
export async function startKmsTestServer(options: KmsTestServerOptions = {}): Promise<KmsTestServer> {
  const server = await startServer({
    rateLimit: false,
    ...options.server,
    settings: {
      ...options.server?.settings,
      oidc: { allowPrivateUrls: true, ...options.server?.settings?.oidc },
    },
  });
  try {
    return await provision(server.url, server.close, options);
  } catch (error) {
    await server.close();
    throw error;
  }
}

/**
 * One call through the server's own API client; a refused call becomes {@link KmsTestApiError} with
 * the status and the answer's text, as this kit has always thrown.
 */
async function request<T>(api: ApiClient, method: string, path: string, body?: unknown): Promise<T> {
  const answer = await api.request<T>(method, path, body);
  if (answer.body instanceof ApiCallError)
    throw new KmsTestApiError(answer.status, answer.body.responseText, `${method} ${path}`);
  return answer.body;
}

async function provision(
  url: string,
  close: () => Promise<void>,
  options: KmsTestServerOptions,
): Promise<KmsTestServer> {
  const client = new ApiClient(url);
  const boot = await request<{ organization: { id: string }; identity: { credentials: { token: string } } }>(
    client,
    'POST',
    '/api/v1/admin/bootstrap',
    { email: 'admin@kms.test', password: 'test-password', organization: 'test-org' },
  );
  const adminToken = boot.identity.credentials.token;
  const organizationId = boot.organization.id;
  client.useToken(adminToken);
  const api = <T>(method: string, path: string, body?: unknown) => request<T>(client, method, path, body);

  const slug = options.projectSlug ?? `test-${Math.random().toString(36).slice(2, 8)}`;
  const { project } = await api<{ project: { id: string; slug: string } }>('POST', '/api/v2/workspace', {
    projectName: slug,
    slug,
  });

  const knownFolders = new Set<string>();
  async function ensureFolder(environment: string, secretPath: string) {
    const parts = secretPath.split('/').filter(Boolean);
    let parent = '/';
    for (const name of parts) {
      const path = parent === '/' ? `/${name}` : `${parent}/${name}`;
      const key = `${environment}:${path}`;
      if (!knownFolders.has(key)) {
        await api('POST', '/api/v1/folders', {
          workspaceId: project.id,
          environment,
          name,
          path: parent,
        }).catch((error) => {
          // An existing folder is fine: tests may create it themselves.
          if (!(error instanceof KmsTestApiError && error.status === 400)) throw error;
        });
        knownFolders.add(key);
      }
      parent = path;
    }
  }

  async function setSecret(environment: string, secretPath: string, key: string, value: string) {
    await ensureFolder(environment, secretPath);
    const name = encodeURIComponent(key);
    const body = { workspaceId: project.id, environment, secretPath, secretValue: value };
    try {
      await api('PATCH', `/api/v3/secrets/raw/${name}`, body);
    } catch (error) {
      if (!(error instanceof KmsTestApiError && error.status === 404)) throw error;
      await api('POST', `/api/v3/secrets/raw/${name}`, body);
    }
  }

  for (const [environment, paths] of Object.entries(options.secrets ?? {})) {
    for (const [secretPath, secrets] of Object.entries(paths)) {
      await ensureFolder(environment, secretPath);
      const entries = Object.entries(secrets);
      if (entries.length === 0) continue;
      await api('POST', '/api/v3/secrets/batch/raw', {
        workspaceId: project.id,
        environment,
        secretPath,
        secrets: entries.map(([secretKey, secretValue]) => ({ secretKey, secretValue })),
      });
    }
  }

  const identityOptions = options.identity ?? {};
  const { identity } = await api<{ identity: { id: string } }>('POST', '/api/v1/identities', {
    name: 'test-service',
    organizationId,
    role: 'no-access',
  });
  const { identityUniversalAuth } = await api<{ identityUniversalAuth: { clientId: string } }>(
    'POST',
    `/api/v1/auth/universal-auth/identities/${identity.id}`,
    {
      accessTokenTTL: identityOptions.accessTokenTTL ?? 3600,
      accessTokenMaxTTL: identityOptions.accessTokenMaxTTL ?? 86400,
      accessTokenNumUsesLimit: identityOptions.accessTokenNumUsesLimit ?? 0,
    },
  );
  await api('POST', `/api/v2/workspace/${project.id}/identity-memberships/${identity.id}`, {
    roles: [{ role: identityOptions.role ?? 'viewer', isTemporary: false }],
  });
  const newClientSecret = async () =>
    (
      await api<{ clientSecret: string }>(
        'POST',
        `/api/v1/auth/universal-auth/identities/${identity.id}/client-secrets`,
        { description: 'kms-testing' },
      )
    ).clientSecret;

  return {
    url,
    adminToken,
    organizationId,
    projectId: project.id,
    projectSlug: project.slug,
    identityId: identity.id,
    clientId: identityUniversalAuth.clientId,
    clientSecret: await newClientSecret(),
    api,
    setSecret,
    async deleteSecret(environment, secretPath, key) {
      await api('DELETE', `/api/v3/secrets/raw/${encodeURIComponent(key)}`, {
        workspaceId: project.id,
        environment,
        secretPath,
      });
    },
    ensureFolder,
    newClientSecret,
    async addOidcIdentity(provider, o = {}) {
      const { identity: oidc } = await api<{ identity: { id: string } }>('POST', '/api/v1/identities', {
        name: `test-oidc-${Math.random().toString(36).slice(2, 8)}`,
        organizationId,
        role: 'no-access',
      });
      await api('POST', `/api/v1/auth/oidc-auth/identities/${oidc.id}`, {
        oidcDiscoveryUrl: provider.issuer,
        boundIssuer: provider.issuer,
        boundAudiences: o.boundAudiences ?? 'kms',
        boundSubject: o.boundSubject ?? 'spiffe://example.org/workload',
        boundClaims: o.boundClaims ?? {},
        accessTokenTTL: o.accessTokenTTL ?? 3600,
        accessTokenMaxTTL: o.accessTokenMaxTTL ?? 86400,
        accessTokenNumUsesLimit: o.accessTokenNumUsesLimit ?? 0,
      });
      await api('POST', `/api/v2/workspace/${project.id}/identity-memberships/${oidc.id}`, {
        roles: [{ role: o.role ?? 'viewer', isTemporary: false }],
      });
      return oidc.id;
    },
    close,
  };
}
