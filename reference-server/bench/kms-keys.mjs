// Benchmark: requests/s of the KMS key operations (encrypt, decrypt, sign and verify with RSA and
// ECC) against bare Express routes, same machine, same run, each pair back to back, with the goals
// of issue #26 printed as MET or NOT MET:
// - encrypt and decrypt >= 0.5x, ECC sign and verify >= 0.4x a bare route that parses the same JSON
//   body and answers a body of the same size;
// - RSA-4096 sign >= 0.8x a bare route that also signs with node:crypto (RSASSA-PSS SHA-256, a
//   4096-bit key), so the server's overhead is measured rather than RSA.
// Then a profile of one encrypt: the store calls, SQL statements and time a request spends, and
// what the cipher alone costs. Run: pnpm --filter @hanzo/kms-server bench
import { constants, createCipheriv, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import autocannon from 'autocannon';
import express from 'express';
import { call, serverWithProject } from './provision-list.mjs';

const DURATION = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const PROFILE_REQUESTS = Number(process.env.BENCH_PROFILE_REQUESTS ?? 300);

// Each target is loaded this long, unmeasured, before its measured run (both sides compared warm).
const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);

const load = (url, headers, body, duration) =>
  new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
        connections: CONNECTIONS,
        duration,
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });

/** The measured run of `url`, after its warm-up. */
async function run(url, headers, body) {
  if (WARMUP > 0) await load(url, headers, body, WARMUP);
  return load(url, headers, body, DURATION);
}

const { kms, admin, project } = await serverWithProject('kms-bench');
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
const payload = Buffer.alloc(1024, 7);
const plaintext = payload.toString('base64');
const { ciphertext } = await call(kms.url, admin, 'POST', `/api/v1/kms/keys/${aes}/encrypt`, { plaintext });
const signWithKms = (keyId, signingAlgorithm) =>
  call(kms.url, admin, 'POST', `/api/v1/kms/keys/${keyId}/sign`, { signingAlgorithm, data: plaintext });
const rsaSig = (await signWithKms(rsa, 'RSASSA_PSS_SHA_256')).signature;
const eccSig = (await signWithKms(ecc, 'ECDSA_SHA_256')).signature;

// [name, path, body, goal ratio or undefined, bare route: 'echo' or 'rsa-sign']
const operations = [
  ['encrypt (aes-256-gcm, 1 KiB)', `/api/v1/kms/keys/${aes}/encrypt`, { plaintext }, 0.5, 'echo'],
  ['decrypt (aes-256-gcm, 1 KiB)', `/api/v1/kms/keys/${aes}/decrypt`, { ciphertext }, 0.5, 'echo'],
  [
    'sign (RSA_4096, PSS SHA-256)',
    `/api/v1/kms/keys/${rsa}/sign`,
    { signingAlgorithm: 'RSASSA_PSS_SHA_256', data: plaintext },
    0.8,
    'rsa-sign',
  ],
  [
    'sign (ECC_NIST_P256, SHA-256)',
    `/api/v1/kms/keys/${ecc}/sign`,
    { signingAlgorithm: 'ECDSA_SHA_256', data: plaintext },
    0.4,
    'echo',
  ],
  [
    'verify (RSA_4096)',
    `/api/v1/kms/keys/${rsa}/verify`,
    { signingAlgorithm: 'RSASSA_PSS_SHA_256', data: plaintext, signature: rsaSig },
    undefined,
    'echo',
  ],
  [
    'verify (ECC_NIST_P256)',
    `/api/v1/kms/keys/${ecc}/verify`,
    { signingAlgorithm: 'ECDSA_SHA_256', data: plaintext, signature: eccSig },
    0.4,
    'echo',
  ],
];

// The echo route answers each path with a body of the size the KMS answers it with; the signing
// route does the same node:crypto RSA-4096 PSS signature of the request's data with a key of its own.
const bodies = new Map();
for (const [, path, body] of operations) bodies.set(path, await call(kms.url, admin, 'POST', path, body));
const bareRsa = generateKeyPairSync('rsa', { modulusLength: 4096 }).privateKey;
const bare = express();
bare.use(express.json());
bare.post('/echo/api/v1/kms/keys/:keyId/:op', (req, res) =>
  res.json(bodies.get(req.path.slice('/echo'.length))),
);
bare.post('/rsa-sign/api/v1/kms/keys/:keyId/sign', (req, res) => {
  const signature = sign('sha256', Buffer.from(req.body.data, 'base64'), {
    key: bareRsa,
    padding: constants.RSA_PKCS1_PSS_PADDING,
    saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
  });
  res.json({ signature: signature.toString('base64'), keyId: req.params.keyId, signingAlgorithm: 'x' });
});
const bareServer = await new Promise((resolve) => {
  const s = bare.listen(0, '127.0.0.1', () => resolve(s));
});
const bareUrl = `http://127.0.0.1:${bareServer.address().port}`;

console.log(`KMS key operations, ${CONNECTIONS} connections, ${DURATION}s each (Node ${process.version})`);
console.log(
  `${'operation'.padEnd(32)} ${'bare req/s'.padStart(10)} ${'kms req/s'.padStart(10)}  kms p99   ratio`,
);
const results = [];
for (const [name, path, body, goal, bareKind] of operations) {
  const json = JSON.stringify(body);
  const b = await run(`${bareUrl}/${bareKind}${path}`, {}, json);
  const k = await run(`${kms.url}${path}`, { authorization: `Bearer ${admin}` }, json);
  if (k.non2xx > 0 || b.non2xx > 0) throw new Error(`${name}: ${k.non2xx} + ${b.non2xx} non-2xx answers`);
  const ratio = k.requests.average / b.requests.average;
  const verdict =
    goal === undefined
      ? ''
      : `  (goal >= ${goal.toFixed(2)}${bareKind === 'rsa-sign' ? ' of a bare node:crypto sign' : ''} ${ratio >= goal ? 'MET' : 'NOT MET'})`;
  results.push({ name, ratio, goal });
  console.log(
    `${name.padEnd(32)} ${String(Math.round(b.requests.average)).padStart(10)} ${String(Math.round(k.requests.average)).padStart(10)}  ${String(k.latency.p99).padStart(5)} ms  ${ratio.toFixed(2)}${verdict}`,
  );
}
const missed = results.filter((r) => r.goal !== undefined && r.ratio < r.goal);
console.log(
  missed.length === 0
    ? 'KMS goals: all MET'
    : `KMS goals: ${missed.length} NOT MET (${missed.map((r) => r.name).join('; ')})`,
);

// ---- profile of one encrypt: where a request's time goes (sequential requests, one at a time)

/** Wraps every method of the store's repositories and SQL executor, counting calls and time. */
function instrument(store) {
  const stats = new Map();
  const timed = (label, target, method) => {
    const original = target[method];
    target[method] = function (...args) {
      const stat = stats.get(label) ?? { calls: 0, ms: 0 };
      stats.set(label, stat);
      stat.calls++;
      const started = performance.now();
      const done = () => {
        stat.ms += performance.now() - started;
      };
      const result = original.apply(this, args);
      if (result && typeof result.then === 'function') result.then(done, done);
      else done();
      return result;
    };
  };
  for (const [name, repo] of Object.entries(store)) {
    if (!repo || typeof repo !== 'object' || name === 'sql') continue;
    for (const method of Object.getOwnPropertyNames(Object.getPrototypeOf(repo))) {
      if (method !== 'constructor' && typeof repo[method] === 'function')
        timed(`${name}.${method}`, repo, method);
    }
  }
  const sql = store.sql;
  for (const method of ['all', 'one', 'run']) timed(`sql statement (${method})`, sql, method);
  timed('sql transaction', sql, 'transaction');
  return stats;
}

const stats = instrument(kms.store);
const encryptOnce = () => call(kms.url, admin, 'POST', `/api/v1/kms/keys/${aes}/encrypt`, { plaintext });
for (let i = 0; i < 20; i++) await encryptOnce();
stats.clear();
const started = performance.now();
for (let i = 0; i < PROFILE_REQUESTS; i++) await encryptOnce();
const perRequestMs = (performance.now() - started) / PROFILE_REQUESTS;

const cipherKey = randomBytes(32);
const cipherStarted = performance.now();
for (let i = 0; i < 2000; i++) {
  const c = createCipheriv('aes-256-gcm', cipherKey, randomBytes(12));
  c.update(payload);
  c.final();
  c.getAuthTag();
}
const cipherUs = ((performance.now() - cipherStarted) / 2000) * 1000;

console.log(`\nProfile of one encrypt (${PROFILE_REQUESTS} sequential requests, in-memory SQLite):`);
console.log(`  wall time per request (client included) ${(perRequestMs * 1000).toFixed(0)} us`);
console.log(`  the AES-256-GCM cipher of 1 KiB alone   ${cipherUs.toFixed(1)} us`);
console.log(`  ${'store call'.padEnd(44)} calls/req   us/req`);
for (const [label, stat] of [...stats].sort((x, y) => y[1].ms - x[1].ms)) {
  console.log(
    `  ${label.padEnd(44)} ${(stat.calls / PROFILE_REQUESTS).toFixed(2).padStart(9)} ${((stat.ms / PROFILE_REQUESTS) * 1000).toFixed(0).padStart(8)}`,
  );
}
console.log(
  '  (statements run inside a transaction are counted by its own executor, not above; times overlap when calls nest)',
);
bareServer.close();
await kms.close();
