// A SPIRE workload reading its secrets with the SDK. It holds no client secret: it presents the
// JWT-SVID that a SPIFFE helper keeps fresh in a file, and the SDK reads that file again at every
// login (including the automatic re-logins), so a rotated SVID is always the one sent.
import { readFileSync } from 'node:fs';
import { KmsClient } from '@hanzo/kms';

/**
 * A required variable, or exit 78 (EX_CONFIG) naming it.
 * @param {string} name
 * @returns {string}
 */
function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`workload: ${name} is not set`);
    process.exit(78);
  }
  return value;
}
const svidFile = required('KMS_OIDC_JWT_FILE');

const kms = new KmsClient({
  siteUrl: required('KMS_SITE_URL'),
  auth: {
    oidc: {
      identityId: required('KMS_IDENTITY_ID'),
      jwt: () => readFileSync(svidFile, 'utf8').trim(),
    },
  },
});

const reads = Number(process.env.WORKLOAD_READS ?? 1);
const pauseMs = Number(process.env.WORKLOAD_PAUSE_MS ?? 0);
for (let i = 0; i < reads; i++) {
  const { secrets } = await kms.secrets.list({
    projectSlug: required('KMS_PROJECT_SLUG'),
    environment: required('KMS_ENVIRONMENT'),
    secretPath: process.env.KMS_SECRET_PATH ?? '/',
  });
  // Key names only: a workload never prints a secret value.
  console.log(`read ${secrets.length} secrets: ${secrets.map((s) => s.secretKey).join(', ')}`);
  if (pauseMs) await new Promise((resolve) => setTimeout(resolve, pauseMs));
}
await kms.close();
