import { registerKms } from '@hanzo/kms-nextjs';

// For deployments where next.config is not evaluated at start (output: 'standalone', serverless).
// Here withKms already loaded the secrets, so this reuses that load.
export async function register() {
  await registerKms();
}
