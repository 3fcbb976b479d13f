/**
 * `kms-server dev`'s demo instance: bootstrap, a project and an identity with Universal Auth, over
 * the server's own API. Dev mode only.
 */
import { ApiClient } from '../provisioning/api-client.js';

/** What `kms-server dev` prints: everything needed to talk to the local instance. */
export interface DevInstance {
  siteUrl: string;
  adminToken: string;
  organizationId: string;
  projectId: string;
  projectSlug: string;
  /** The Viewer machine identity of the demo project. */
  clientId: string;
  clientSecret: string;
}

const DEMO_SECRETS: Record<string, Record<string, string>> = {
  dev: {
    DATABASE_URL: 'postgres://app:dev-password@localhost:5432/app',
    API_KEY: 'dev-api-key-0123456789',
    REDIS_URL: 'redis://localhost:6379/0',
    GREETING: 'Hello from ${API_KEY_OWNER}',
    API_KEY_OWNER: 'Hanzo KMS (dev)',
    // What examples/nextjs-app's server action signs with.
    SIGNING_KEY: 'dev-signing-key-5f2c8e1a9b7d',
  },
  staging: {
    DATABASE_URL: 'postgres://app:staging-password@staging-db:5432/app',
    API_KEY: 'staging-api-key-0123456789',
  },
  prod: {
    DATABASE_URL: 'postgres://app:prod-password@prod-db:5432/app',
    API_KEY: 'prod-api-key-0123456789',
  },
};

/** Folder `/billing` of every environment: what examples/nestjs-app's billing module reads. */
const DEMO_BILLING_SECRETS: Record<string, string> = {
  STRIPE_KEY: 'sk_test_demo_4eC39HqLyjWDarjtT1zdp7dc',
  PAYMENT_RETRIES: '3',
};

const call = <T>(siteUrl: string, token: string | undefined, method: string, path: string, body?: unknown) =>
  new ApiClient(siteUrl, token).call<T>(method, path, body);

/**
 * Provisions the demo project over the public API, exactly as an operator would
 * (docs/reference/api.md#provisioning-over-http): project `demo` with dev/staging/prod, folders `/app` and `/billing`, a few
 * secrets, and a Viewer machine identity with Universal Auth.
 */
export async function provisionDemo(
  siteUrl: string,
  adminToken: string,
  organizationId: string,
): Promise<DevInstance> {
  const { project } = await call<{ project: { id: string; slug: string } }>(
    siteUrl,
    adminToken,
    'POST',
    '/api/v2/workspace',
    {
      projectName: 'Demo',
      slug: 'demo',
    },
  );
  for (const [environment, appSecrets] of Object.entries(DEMO_SECRETS)) {
    for (const [folder, secrets] of [
      ['app', appSecrets],
      ['billing', DEMO_BILLING_SECRETS],
    ] as const) {
      await call(siteUrl, adminToken, 'POST', '/api/v1/folders', {
        workspaceId: project.id,
        environment,
        name: folder,
        path: '/',
      });
      await call(siteUrl, adminToken, 'POST', '/api/v3/secrets/batch/raw', {
        workspaceId: project.id,
        environment,
        secretPath: `/${folder}`,
        secrets: Object.entries(secrets).map(([secretKey, secretValue]) => ({ secretKey, secretValue })),
      });
    }
  }
  const { identity } = await call<{ identity: { id: string } }>(
    siteUrl,
    adminToken,
    'POST',
    '/api/v1/identities',
    {
      name: 'demo-service',
      organizationId,
      role: 'no-access',
    },
  );
  const { identityUniversalAuth } = await call<{ identityUniversalAuth: { clientId: string } }>(
    siteUrl,
    adminToken,
    'POST',
    `/api/v1/auth/universal-auth/identities/${identity.id}`,
    { accessTokenTTL: 3600, accessTokenMaxTTL: 86400 },
  );
  await call(
    siteUrl,
    adminToken,
    'POST',
    `/api/v2/workspace/${project.id}/identity-memberships/${identity.id}`,
    {
      roles: [{ role: 'viewer', isTemporary: false }],
    },
  );
  return demoInstance(
    siteUrl,
    adminToken,
    organizationId,
    project,
    identity.id,
    identityUniversalAuth.clientId,
  );
}

/** The printed instance, with a client secret minted now (secrets are shown once, never stored). */
async function demoInstance(
  siteUrl: string,
  adminToken: string,
  organizationId: string,
  project: { id: string; slug: string },
  identityId: string,
  clientId: string,
): Promise<DevInstance> {
  const { clientSecret } = await newDemoClientSecret(siteUrl, adminToken, identityId);
  return {
    siteUrl,
    adminToken,
    organizationId,
    projectId: project.id,
    projectSlug: project.slug,
    clientId,
    clientSecret,
  };
}

/** A fresh client secret for an identity (used again after a restart: secrets are shown once). */
export function newDemoClientSecret(siteUrl: string, adminToken: string, identityId: string) {
  return call<{ clientSecret: string }>(
    siteUrl,
    adminToken,
    'POST',
    `/api/v1/auth/universal-auth/identities/${identityId}/client-secrets`,
    {
      description: 'kms-server dev',
    },
  );
}

/** Finds the demo project and identity again after a restart and issues a new client secret. */
export async function reattachDemo(siteUrl: string, adminToken: string): Promise<DevInstance | undefined> {
  const details = await call<{ identityDetails: { organization: { id: string } } }>(
    siteUrl,
    adminToken,
    'GET',
    '/api/v1/identities/details',
  );
  const organizationId = details.identityDetails.organization.id;
  const project = await call<{ id: string; slug: string }>(
    siteUrl,
    adminToken,
    'GET',
    '/api/v2/workspace/demo',
  ).catch(() => undefined);
  if (!project) return undefined;
  const { identities } = await call<{ identities: { identity: { id: string; name: string } }[] }>(
    siteUrl,
    adminToken,
    'GET',
    `/api/v1/identities?orgId=${organizationId}`,
  );
  const demo = identities.find((i) => i.identity.name === 'demo-service');
  if (!demo) return undefined;
  const { identityUniversalAuth } = await call<{ identityUniversalAuth: { clientId: string } }>(
    siteUrl,
    adminToken,
    'GET',
    `/api/v1/auth/universal-auth/identities/${demo.identity.id}`,
  );
  return demoInstance(
    siteUrl,
    adminToken,
    organizationId,
    project,
    demo.identity.id,
    identityUniversalAuth.clientId,
  );
}
