// The server profile-breakdown.mjs profiles (run in its own process under --cpu-prof): provisions
// one route's data, prints what autocannon should send as one JSON line, and stops on SIGTERM so
// the profile is written.
import express from 'express';
import { call, serverWith100Secrets, serverWithProject } from './provision-list.mjs';

// `list` or `encrypt`; with `--bare`, a bare Express route answering the same body instead (for
// the list, serialising the same JSON; for encrypt, parsing the same JSON request first).
// `--database-url=<url>` serves from PostgreSQL instead of in-memory SQLite.
const route = process.argv[2];
const bareMode = process.argv.includes('--bare');
const databaseUrl = process.argv
  .find((a) => a.startsWith('--database-url='))
  ?.slice('--database-url='.length);
const store = databaseUrl ? { databaseUrl } : {};
let kms;
let target;
if (route === 'list') {
  const provisioned = await serverWith100Secrets(store);
  kms = provisioned.kms;
  target = {
    url: `${kms.url}${provisioned.listPath}`,
    headers: { authorization: `Bearer ${provisioned.admin}` },
  };
} else {
  const provisioned = await serverWithProject('kms', store);
  kms = provisioned.kms;
  const { admin, project } = provisioned;
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
if (bareMode) {
  const sample = await (await fetch(target.url, target)).json();
  await kms.close();
  const bare = express();
  bare.use(express.json());
  bare.all('/bare', (_req, res) => res.json(sample));
  const server = await new Promise((resolve) => {
    const s = bare.listen(0, '127.0.0.1', () => resolve(s));
  });
  target = { ...target, url: `http://127.0.0.1:${server.address().port}/bare` };
  kms = { close: () => new Promise((resolve) => server.close(resolve)) };
}
console.log(JSON.stringify(target));
// SIGUSR2 asks for the CPU time this process has used so far (µs, user + system) and the
// monotonic clock in µs (the clock of --cpu-prof's sample times), one JSON line.
process.on('SIGUSR2', () => {
  const { user, system } = process.cpuUsage();
  const monotonicMicros = Number(process.hrtime.bigint() / 1000n);
  console.log(JSON.stringify({ cpuMicros: user + system, monotonicMicros }));
});
process.on('SIGTERM', async () => {
  await kms.close();
  process.exit(0);
});
