// One process: import @infisical/sdk, log in, list 100 secrets into process.env, exit.
import { InfisicalSDK } from '@infisical/sdk';

const client = new InfisicalSDK({ siteUrl: process.env.KMS_URL });
await client
  .auth()
  .universalAuth.login({ clientId: process.env.KMS_CLIENT_ID, clientSecret: process.env.KMS_CLIENT_SECRET });
const { secrets } = await client
  .secrets()
  .listSecrets({ projectId: process.env.KMS_PROJECT_ID, environment: 'dev', secretPath: '/' });
for (const s of secrets) process.env[s.secretKey] ??= s.secretValue;
if (secrets.length !== 100) throw new Error(`expected 100 secrets, got ${secrets.length}`);
