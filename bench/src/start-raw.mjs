// One process with no SDK: plain fetch login + list. The server's share of "start to secrets".
const { KMS_URL, KMS_CLIENT_ID, KMS_CLIENT_SECRET, KMS_PROJECT_ID } = process.env;
const login = await fetch(`${KMS_URL}/api/v1/auth/universal-auth/login`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ clientId: KMS_CLIENT_ID, clientSecret: KMS_CLIENT_SECRET }),
}).then((r) => r.json());
const query = `workspaceId=${KMS_PROJECT_ID}&environment=dev&secretPath=/&expandSecretReferences=true`;
const { secrets } = await fetch(`${KMS_URL}/api/v3/secrets/raw?${query}`, {
  headers: { authorization: `Bearer ${login.accessToken}` },
}).then((r) => r.json());
if (secrets.length !== 100) throw new Error(`expected 100 secrets, got ${secrets.length}`);
