// The server profile-breakdown.mjs profiles (run in its own process under --cpu-prof): provisions
// one route's data, prints what autocannon should send as one JSON line, and stops on SIGTERM so
// the profile is written.
import { startServer } from '../dist/index.js';
import { call, serverWith100Secrets } from './provision-list.mjs';

const route = process.argv[2];
let kms;
let target;
if (route === 'list') {
  const provisioned = await serverWith100Secrets();
  kms = provisioned.kms;
  target = {
    url: `${kms.url}${provisioned.listPath}`,
    headers: { authorization: `Bearer ${provisioned.admin}` },
  };
} else {
  kms = await startServer({ rateLimit: false });
  const boot = await call(kms.url, null, 'POST', '/api/v1/admin/bootstrap', {
    email: 'b@bench.test',
    password: 'bench-admin-password',
    organization: 'bench',
  });
  const admin = boot.identity.credentials.token;
  const { project } = await call(kms.url, admin, 'POST', '/api/v2/workspace', {
    projectName: 'kms',
    slug: 'kms',
  });
  const { key } = await call(kms.url, admin, 'POST', '/api/v1/kms/keys', {
    projectId: project.id,
    name: 'aes',
    keyUsage: 'encrypt-decrypt',
    encryptionAlgorithm: 'aes-256-gcm',
  });
  target = {
    url: `${kms.url}/api/v1/kms/keys/${key.id}/encrypt`,
    method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({ plaintext: Buffer.alloc(1024, 7).toString('base64') }),
  };
}
console.log(JSON.stringify(target));
process.on('SIGTERM', async () => {
  await kms.close();
  process.exit(0);
});
