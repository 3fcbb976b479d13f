// Provisions a project with secrets and a Universal Auth identity over plain HTTP (docs/reference/api.md#provisioning-over-http).
async function call(url, method, path, body, token) {
  const response = await fetch(url + path, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} -> ${response.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** Bootstraps the server and returns the credentials of a viewer identity of a project holding `secrets` at `/` in dev. */
export async function provision(url, secrets) {
  const boot = await call(url, 'POST', '/api/v1/admin/bootstrap', {
    email: 'bench@example.test',
    password: 'S3cure-pass!',
    organization: 'bench',
  });
  const admin = (method, path, body) => call(url, method, path, body, boot.identity.credentials.token);
  const { project } = await admin('POST', '/api/v2/workspace', {
    projectName: 'Bench',
    slug: 'bench-project',
    type: 'secret-manager',
  });
  await admin('POST', '/api/v3/secrets/batch/raw', {
    workspaceId: project.id,
    environment: 'dev',
    secretPath: '/',
    secrets: Object.entries(secrets).map(([secretKey, secretValue]) => ({ secretKey, secretValue })),
  });
  const { identity } = await admin('POST', '/api/v1/identities', {
    name: 'bench-reader',
    organizationId: boot.organization.id,
    role: 'no-access',
  });
  const { identityUniversalAuth } = await admin(
    'POST',
    `/api/v1/auth/universal-auth/identities/${identity.id}`,
    {},
  );
  const { clientSecret } = await admin(
    'POST',
    `/api/v1/auth/universal-auth/identities/${identity.id}/client-secrets`,
    { description: 'bench' },
  );
  await admin('POST', `/api/v2/workspace/${project.id}/identity-memberships/${identity.id}`, {
    roles: [{ role: 'viewer', isTemporary: false }],
  });
  return {
    url,
    projectId: project.id,
    clientId: identityUniversalAuth.clientId,
    clientSecret,
    adminToken: boot.identity.credentials.token,
  };
}
