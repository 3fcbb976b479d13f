// The floor under the throughput goals of issue #26: bare Express routes that do only the work
// every authenticated, use-counted, audited request must do, each step in its cheapest form, and
// nothing else. Whatever they reach is more than any server doing that work per request can reach
// on this machine, so their ratio to the goals' baselines says how much of each goal is reachable
// at all. Printed next to the server's own ratio, same run, same process layout as
// bench/list-secrets.mjs and bench/kms-keys.mjs (server, bare routes and load generator in one
// process; in-memory SQLite, as those benches run the server).
//
// The work a floor route does per request:
// - check an HS256 JWT: one HMAC-SHA256 and one JSON.parse of its payload;
// - read the token row: one prepared better-sqlite3 SELECT by primary key (list: joined to the
//   project and the caller's membership, as one statement);
// - the operation: AES-256-GCM encrypt of 1 KiB under a key kept as a KeyObject (encrypt), or open
//   the sealed 68 KB listing (list);
// - the audit entry and the use: the entry's JSON and its keyed chain link (one HMAC), inserted with
//   the token's use counted, in one transaction per request;
// - answer the same JSON as the server.
// Run: node bench/required-work-floor.mjs (after `pnpm --filter @hanzo/kms-server build`).
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createSecretKey,
  randomBytes,
  randomUUID,
} from 'node:crypto';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import express from 'express';
import { call, serverWith100Secrets, serverWithProject } from './provision-list.mjs';

const DURATION = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);

const load = (url, options = {}) =>
  new Promise((resolve, reject) => {
    autocannon({ url, connections: CONNECTIONS, duration: DURATION, ...options }, (error, result) => {
      if (error) return reject(error);
      if (result.non2xx > 0) return reject(new Error(`${url}: ${result.non2xx} non-2xx answers`));
      resolve(result.requests.average);
    });
  });

// --- the store of the floor routes: the rows they read and write, nothing more --------------------
const db = new Database(':memory:');
db.exec(`CREATE TABLE tokens (id TEXT PRIMARY KEY, identity_id TEXT, num_uses INTEGER, is_revoked INTEGER);
  CREATE TABLE projects (id TEXT PRIMARY KEY, org_id TEXT, name TEXT);
  CREATE TABLE memberships (project_id TEXT, identity_id TEXT, role TEXT, PRIMARY KEY (project_id, identity_id));
  CREATE TABLE audit (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, project_id TEXT, org_id TEXT,
    created_at TEXT, event TEXT, prev_hash TEXT, hash TEXT);
  CREATE INDEX audit_project ON audit(project_id, created_at);
  CREATE INDEX audit_org ON audit(org_id, created_at);`);
const tokenId = randomUUID();
const identityId = randomUUID();
const projectId = randomUUID();
db.prepare('INSERT INTO tokens VALUES (?, ?, 0, 0)').run(tokenId, identityId);
db.prepare("INSERT INTO projects VALUES (?, 'org', 'bench')").run(projectId);
db.prepare("INSERT INTO memberships VALUES (?, ?, 'admin')").run(projectId, identityId);
const readToken = db.prepare('SELECT * FROM tokens WHERE id = ?');
const readTokenWithProject = db.prepare(`SELECT t.*, p.name AS p_name, m.role AS m_role FROM tokens t
  LEFT JOIN projects p ON p.id = ? LEFT JOIN memberships m ON m.project_id = p.id AND m.identity_id = t.identity_id
  WHERE t.id = ?`);
// The audit table keeps the indexes the server's has (by id, by project and by organization, in time):
// the audit log API needs them, so they are part of the required work.
const insertEntry = db.prepare(
  "INSERT INTO audit (id, project_id, org_id, created_at, event, prev_hash, hash) VALUES (?, ?, 'org', ?, ?, ?, ?)",
);
const countUse = db.prepare('UPDATE tokens SET num_uses = num_uses + 1 WHERE id = ? AND is_revoked = 0');
const auditKey = createSecretKey(randomBytes(32));
let lastHash = '0'.repeat(64);
const audited = db.transaction((event) => {
  const id = randomUUID();
  const createdAt = new Date().toISOString();
  const entry = JSON.stringify({ id, ...event, createdAt });
  const hash = createHmac('sha256', auditKey).update(`${lastHash}|${entry}`).digest('hex');
  insertEntry.run(id, projectId, createdAt, entry, lastHash, hash);
  countUse.run(tokenId);
  lastHash = hash;
});

// --- the JWT check ------------------------------------------------------------------------------
const jwtKey = createSecretKey(randomBytes(32));
const header = Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url');
const payload = Buffer.from(JSON.stringify({ identityId, identityAccessTokenId: tokenId })).toString(
  'base64url',
);
const jwt = `${header}.${payload}.${createHmac('sha256', jwtKey).update(`${header}.${payload}`).digest('base64url')}`;
function checkJwt(authorization) {
  const token = authorization.slice('Bearer '.length);
  const dot = token.lastIndexOf('.');
  const expected = createHmac('sha256', jwtKey).update(token.slice(0, dot)).digest('base64url');
  if (expected !== token.slice(dot + 1)) throw new Error('bad token');
  return JSON.parse(Buffer.from(token.slice(token.indexOf('.') + 1, dot), 'base64url').toString());
}

// --- the server, its answers, and the baselines of the goals --------------------------------------
const listed = await serverWith100Secrets();
const listUrl = `${listed.kms.url}${listed.listPath}`;
const listBody = await call(listed.kms.url, listed.admin, 'GET', listed.listPath);
const listBytes = Buffer.from(JSON.stringify(listBody));
const sealKey = createSecretKey(randomBytes(32));
const sealIv = randomBytes(12);
const sealer = createCipheriv('aes-256-gcm', sealKey, sealIv);
const sealed = Buffer.concat([sealer.update(listBytes), sealer.final()]);
const sealTag = sealer.getAuthTag();

const { kms, admin, project } = await serverWithProject('floor');
const { key } = await call(kms.url, admin, 'POST', '/api/v1/kms/keys', {
  projectId: project.id,
  name: 'aes',
  keyUsage: 'encrypt-decrypt',
  encryptionAlgorithm: 'aes-256-gcm',
});
const plaintext = Buffer.alloc(1024, 7).toString('base64');
const encryptPath = `/api/v1/kms/keys/${key.id}/encrypt`;
const encryptAnswer = await call(kms.url, admin, 'POST', encryptPath, { plaintext });
const aesKey = createSecretKey(randomBytes(32));

const bare = express();
bare.use(express.json());
// The baselines: bench/list-secrets.mjs's bare route (serialising the same JSON) and
// bench/kms-keys.mjs's echo (parsing the same body, answering a body of the same size).
bare.get('/bare/list', (_req, res) => res.json(listBody));
bare.post('/bare/echo', (_req, res) => res.json(encryptAnswer));
bare.get('/floor/list', (req, res) => {
  const claims = checkJwt(req.get('authorization'));
  const row = readTokenWithProject.get(projectId, claims.identityAccessTokenId);
  if (!row || row.is_revoked || !row.m_role) throw new Error('refused');
  const opener = createDecipheriv('aes-256-gcm', sealKey, sealIv);
  opener.setAuthTag(sealTag);
  const body = opener.update(sealed);
  opener.final();
  audited({ event: 'get-secrets', projectId, identityId: claims.identityId, numberOfSecrets: 100 });
  res.type('application/json').send(body);
});
bare.post('/floor/encrypt', (req, res) => {
  const claims = checkJwt(req.get('authorization'));
  const row = readToken.get(claims.identityAccessTokenId);
  if (!row || row.is_revoked) throw new Error('refused');
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', aesKey, iv);
  const blob = Buffer.concat([
    iv,
    cipher.update(Buffer.from(req.body.plaintext, 'base64')),
    cipher.final(),
    cipher.getAuthTag(),
  ]);
  audited({ event: 'cmek-encrypt', projectId, identityId: claims.identityId, keyId: key.id });
  res.json({ ciphertext: blob.toString('base64') });
});
const bareServer = await new Promise((resolve) => {
  const s = bare.listen(0, '127.0.0.1', () => resolve(s));
});
const bareUrl = `http://127.0.0.1:${bareServer.address().port}`;

const auth = (token) => ({ headers: { authorization: `Bearer ${token}` } });
const post = (token) => ({
  method: 'POST',
  headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
  body: JSON.stringify({ plaintext }),
});
const rows = [
  [
    'list of 100 (SQLite)',
    0.75,
    () => load(`${bareUrl}/bare/list`),
    () => load(`${bareUrl}/floor/list`, auth(jwt)),
    () => load(listUrl, auth(listed.admin)),
  ],
  [
    'encrypt (aes-256-gcm, 1 KiB)',
    0.5,
    () => load(`${bareUrl}/bare/echo`, post('x')),
    () => load(`${bareUrl}/floor/encrypt`, post(jwt)),
    () => load(`${kms.url}${encryptPath}`, post(admin)),
  ],
];
console.log(
  `The floor of the required work, ${CONNECTIONS} connections, ${DURATION}s each (Node ${process.version})`,
);
console.log(
  `${'operation'.padEnd(30)} ${'baseline'.padStart(9)} ${'floor'.padStart(7)} ${'server'.padStart(7)}  floor/baseline  server/baseline  server/floor  goal`,
);
for (const [name, goal, baseline, floor, server] of rows) {
  const b = await baseline();
  const f = await floor();
  const s = await server();
  console.log(
    `${name.padEnd(30)} ${String(Math.round(b)).padStart(9)} ${String(Math.round(f)).padStart(7)} ${String(Math.round(s)).padStart(7)}  ${(f / b).toFixed(2).padStart(14)}  ${(s / b).toFixed(2).padStart(15)}  ${(s / f).toFixed(2).padStart(12)}  >= ${goal.toFixed(2)} of the baseline`,
  );
}
console.log(
  'floor: only the required work, each step in its cheapest form (JWT HMAC, one token read, the operation, one audit HMAC and insert with the use counted, one transaction); no server doing that work per request gets above it here',
);
bareServer.close();
await listed.kms.close();
await kms.close();
db.close();
