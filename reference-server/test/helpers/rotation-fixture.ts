// What the secret-rotation tests share: identities with an organization and a project role, and
// reading a folder's secrets as a service would.
import type { TestServer } from './test-server.js';

/** A logged-in machine identity with an org role and, optionally, a role in a project. */
export async function identityToken(
  kms: TestServer,
  orgRole: string,
  project?: { id: string; role: string },
) {
  const { identity } = await kms.admin('POST', '/api/v1/identities', {
    name: `svc-${orgRole}-${Math.random()}`,
    organizationId: kms.orgId,
    role: orgRole,
  });
  const { identityUniversalAuth } = await kms.admin(
    'POST',
    `/api/v1/auth/universal-auth/identities/${identity.id}`,
    {},
  );
  const secret = await kms.admin(
    'POST',
    `/api/v1/auth/universal-auth/identities/${identity.id}/client-secrets`,
    {},
  );
  if (project) {
    await kms.admin('POST', `/api/v2/workspace/${project.id}/identity-memberships/${identity.id}`, {
      role: project.role,
    });
  }
  const token = (await kms.login(identityUniversalAuth.clientId, secret.clientSecret)).body
    .accessToken as string;
  return {
    token,
    identityId: identity.id as string,
    clientId: identityUniversalAuth.clientId as string,
    clientSecret: secret.clientSecret as string,
  };
}

/** The folder's secrets as key -> value (admin token). */
export async function folderSecrets(
  kms: TestServer,
  projectId: string,
  environment: string,
  secretPath: string,
) {
  const r = await kms.admin(
    'GET',
    `/api/v3/secrets/raw?workspaceId=${projectId}&environment=${environment}&secretPath=${encodeURIComponent(secretPath)}`,
  );
  return Object.fromEntries(
    (r.secrets as { secretKey: string; secretValue: string }[]).map((s) => [s.secretKey, s.secretValue]),
  ) as Record<string, string>;
}
