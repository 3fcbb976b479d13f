// One process: import @hanzo/kms, log in, hold 100 secrets, exit.
import { KmsClient } from '@hanzo/kms';

const kms = new KmsClient({
  siteUrl: process.env.KMS_URL,
  auth: {
    universalAuth: { clientId: process.env.KMS_CLIENT_ID, clientSecret: process.env.KMS_CLIENT_SECRET },
  },
});
const { secrets } = await kms.secrets.list({
  projectId: process.env.KMS_PROJECT_ID,
  environment: 'dev',
  secretPath: '/',
});
if (secrets.length !== 100) throw new Error(`expected 100 secrets, got ${secrets.length}`);
