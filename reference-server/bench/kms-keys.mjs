// Benchmark: requests/s of the KMS key operations (encrypt, decrypt, sign and verify with RSA and
// ECC) against a bare Express route that parses the same JSON body and returns a body of the same
// size, same machine, same run, each pair back to back. Goal (issue #10): encrypt and decrypt at
// >= 0.5 of the bare route. Run: pnpm --filter @hanzo/kms-server bench
import autocannon from 'autocannon';
import express from 'express';
import { startServer } from '../dist/index.js';
import { call } from './provision-list.mjs';

const DURATION = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);

const run = (url, headers, body) =>
  new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
        connections: CONNECTIONS,
        duration: DURATION,
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });

const kms = await startServer({ rateLimit: false });
const boot = await call(kms.url, null, 'POST', '/api/v1/admin/bootstrap', {
  email: 'b@bench.test',
  password: 'bench-admin-password',
  organization: 'bench',
});
const admin = boot.identity.credentials.token;
const { project } = await call(kms.url, admin, 'POST', '/api/v2/workspace', {
  projectName: 'kms',
  slug: 'kms-bench',
});
const key = async (name, keyUsage, encryptionAlgorithm) =>
  (
    await call(kms.url, admin, 'POST', '/api/v1/kms/keys', {
      projectId: project.id,
      name,
      keyUsage,
      encryptionAlgorithm,
    })
  ).key.id;
const aes = await key('aes', 'encrypt-decrypt', 'aes-256-gcm');
const rsa = await key('rsa', 'sign-verify', 'RSA_4096');
const ecc = await key('ecc', 'sign-verify', 'ECC_NIST_P256');

// A 1 KiB payload, a typical envelope-encryption data key plus metadata.
const plaintext = Buffer.alloc(1024, 7).toString('base64');
const { ciphertext } = await call(kms.url, admin, 'POST', `/api/v1/kms/keys/${aes}/encrypt`, { plaintext });
const sign = (keyId, signingAlgorithm) =>
  call(kms.url, admin, 'POST', `/api/v1/kms/keys/${keyId}/sign`, { signingAlgorithm, data: plaintext });
const rsaSig = (await sign(rsa, 'RSASSA_PSS_SHA_256')).signature;
const eccSig = (await sign(ecc, 'ECDSA_SHA_256')).signature;

const operations = [
  ['encrypt (aes-256-gcm, 1 KiB)', `/api/v1/kms/keys/${aes}/encrypt`, { plaintext }],
  ['decrypt (aes-256-gcm, 1 KiB)', `/api/v1/kms/keys/${aes}/decrypt`, { ciphertext }],
  [
    'sign (RSA_4096, PSS SHA-256)',
    `/api/v1/kms/keys/${rsa}/sign`,
    { signingAlgorithm: 'RSASSA_PSS_SHA_256', data: plaintext },
  ],
  [
    'sign (ECC_NIST_P256, SHA-256)',
    `/api/v1/kms/keys/${ecc}/sign`,
    { signingAlgorithm: 'ECDSA_SHA_256', data: plaintext },
  ],
  [
    'verify (RSA_4096)',
    `/api/v1/kms/keys/${rsa}/verify`,
    { signingAlgorithm: 'RSASSA_PSS_SHA_256', data: plaintext, signature: rsaSig },
  ],
  [
    'verify (ECC_NIST_P256)',
    `/api/v1/kms/keys/${ecc}/verify`,
    { signingAlgorithm: 'ECDSA_SHA_256', data: plaintext, signature: eccSig },
  ],
];

// The bare route answers each path with a body of the size the KMS answers it with.
const bodies = new Map();
for (const [, path, body] of operations) bodies.set(path, await call(kms.url, admin, 'POST', path, body));
const bare = express();
bare.use(express.json());
bare.post('/api/v1/kms/keys/:keyId/:op', (req, res) => res.json(bodies.get(req.path)));
const bareServer = await new Promise((resolve) => {
  const s = bare.listen(0, '127.0.0.1', () => resolve(s));
});
const bareUrl = `http://127.0.0.1:${bareServer.address().port}`;

console.log(`KMS key operations, ${CONNECTIONS} connections, ${DURATION}s each (Node ${process.version})`);
console.log(
  `${'operation'.padEnd(32)} ${'bare req/s'.padStart(10)} ${'kms req/s'.padStart(10)}  kms p99   ratio`,
);
for (const [name, path, body] of operations) {
  const json = JSON.stringify(body);
  const b = await run(`${bareUrl}${path}`, {}, json);
  const k = await run(`${kms.url}${path}`, { authorization: `Bearer ${admin}` }, json);
  if (k.non2xx > 0) throw new Error(`${name}: ${k.non2xx} non-2xx answers`);
  const ratio = k.requests.average / b.requests.average;
  const goal =
    name.startsWith('encrypt') || name.startsWith('decrypt')
      ? ratio >= 0.5
        ? '  (goal >= 0.50 MET)'
        : '  (goal >= 0.50 NOT MET)'
      : '';
  console.log(
    `${name.padEnd(32)} ${String(Math.round(b.requests.average)).padStart(10)} ${String(Math.round(k.requests.average)).padStart(10)}  ${String(k.latency.p99).padStart(5)} ms  ${ratio.toFixed(2)}${goal}`,
  );
}
bareServer.close();
await kms.close();
