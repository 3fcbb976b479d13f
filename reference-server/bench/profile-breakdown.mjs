// Where an authenticated request's CPU goes: runs the server in a child process under --cpu-prof,
// loads one route with autocannon (10 connections), and attributes every profile sample to what
// the request was doing (the nearest frame of a known step, walking up from the sampled frame),
// printed as a share of the samples and as an estimate of µs of CPU per request.
// Run: node bench/profile-breakdown.mjs [list|encrypt] [--postgres] (after `pnpm --filter @hanzo/kms-server build`).
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { startEmbeddedPostgres } from '../tools/embedded-postgres.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);

/** The steps of a request, by the function names (src/) that do them; the first match up the stack wins. */
const STEPS = [
  ['JWT check', ['verifyAccessTokenJwt', 'verifyOwnJwt']],
  // On the secret reads the token row is read in the project view's statement.
  [
    'token lookup (SQL; with the project view on reads)',
    ['getAccessTokenForRequest', 'getProjectViewForToken'],
  ],
  ['token use (counted write)', ['consumeUse', 'consumeAccessTokenUse', 'countAttachedUses']],
  [
    'audit entry (hash chain, insert, head)',
    [
      'appendAfterKnownHead',
      'appendUnderLock',
      'insertEntries',
      'writeHead',
      'readHead',
      'entryHash',
      'headMac',
    ],
  ],
  ['group commit (BEGIN/COMMIT)', ['transaction', '#commitBatch', '#drain']],
  [
    'project access (project, membership, roles)',
    ['projectAccess', 'accessFor', 'accessFromView', 'resolveProject', 'getMembership', 'getProject'],
  ],
  ['environment and folders', ['locate', 'loadFolderTree']],
  ['listing: sealed copy opened', ['open', 'listingOf']],
  ['KMS key lookup and material', ['withMaterial', 'material', '#open', 'keyFor', 'getKey']],
  ['KMS cipher', ['encryptBlob', 'decryptBlob']],
  ['request validation (zod)', ['parseWith', 'parseBody', 'parseQuery', 'parseParams']],
  ['request id, access log', ['accessLog']],
  // Wall-clock samples: on a machine whose cores are busy (the load generator runs on this one), the
  // time the server waits for a CPU after waking the client through the loopback lands here.
  ['socket write (writev; includes waiting for a CPU)', ['writev']],
];
const BY_FILE = [
  [
    'HTTP, Express and JSON bodies',
    /node:_http|node:net|node:internal\/(streams|stream_base|http|url|querystring)|node:events|express@|router@|body-parser@|raw-body@|path-to-regexp@|content-type@|mime|forwarded@|proxy-addr@|on-finished@|type-is@|iconv|writev|readv|parserOn/,
  ],
  ['SQLite (other statements)', /better-sqlite3/],
  ['PostgreSQL driver (pg: protocol, rows; outside a step)', /node_modules\/\.pnpm\/pg[-@]/],
];

const route = process.argv[2] ?? 'list';
if (!['list', 'encrypt'].includes(route))
  throw new Error('usage: profile-breakdown.mjs [list|encrypt] [--postgres]');
// --postgres: the server keeps its store in a real PostgreSQL (embedded-postgres, fsync on).
const postgres = process.argv.includes('--postgres')
  ? await startEmbeddedPostgres({ durable: true })
  : undefined;
const storeArgs = postgres ? [`--database-url=${await postgres.createDatabase()}`] : [];
const dir = mkdtempSync(join(tmpdir(), 'kms-profile-'));
const serve = fileURLToPath(new URL('./profile-serve.mjs', import.meta.url));

/** Starts profile-serve.mjs with `args`; resolves with the process and what to load it with. */
async function startServing(args) {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const target = JSON.parse(
    await new Promise((resolve) => child.stdout.once('data', (d) => resolve(String(d)))),
  );
  return { child, target };
}
const load = (target, duration) =>
  new Promise((resolve, reject) =>
    autocannon({ ...target, connections: 10, duration }, (e, r) => (e ? reject(e) : resolve(r))),
  );
/** The server's CPU time so far and its monotonic clock (both µs), asked for over SIGUSR2. */
const serverClock = (child) =>
  new Promise((resolve) => {
    child.stdout.once('data', (d) => resolve(JSON.parse(String(d))));
    child.kill('SIGUSR2');
  });
/**
 * Loads a server (after a 2 s warm-up) and measures its CPU per answered request; `window` is
 * the measured load's span on the server's monotonic clock (start-up and warm-up left out).
 */
async function measure({ child, target }, seconds) {
  await load(target, 2);
  const before = await serverClock(child);
  const result = await load(target, seconds);
  const after = await serverClock(child);
  child.kill('SIGTERM');
  await new Promise((resolve) => child.on('exit', resolve));
  return {
    result,
    cpuPerRequest: (after.cpuMicros - before.cpuMicros) / result.requests.total,
    window: [before.monotonicMicros, after.monotonicMicros],
  };
}

const bare = await measure(await startServing([serve, route, '--bare']), Math.min(SECONDS, 4));
const { result, cpuPerRequest, window } = await measure(
  await startServing(['--cpu-prof', `--cpu-prof-dir=${dir}`, serve, route, ...storeArgs]),
  SECONDS,
);
await postgres?.stop();
const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
const profile = JSON.parse(readFileSync(join(dir, file), 'utf8'));
rmSync(dir, { recursive: true, force: true });

const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const stepOf = new Map();
function step(id) {
  if (stepOf.has(id)) return stepOf.get(id);
  const { functionName, url } = nodes.get(id).callFrame;
  let found;
  if (functionName === '(idle)') found = 'idle';
  else if (functionName === '(garbage collector)') found = 'garbage collection';
  else {
    const named = STEPS.find(
      // Native frames (writev) have no URL; every other step is a function of src/.
      ([, names]) => names.includes(functionName) && (url === '' || url.includes('reference-server/dist')),
    );
    if (named) found = named[0];
    else {
      const up = parent.get(id);
      found = up === undefined ? undefined : step(up);
      if (
        found === undefined ||
        found === 'HTTP, Express and JSON bodies' ||
        found === 'SQLite (other statements)'
      ) {
        const byFile = BY_FILE.find(([, pattern]) => pattern.test(url) || pattern.test(functionName));
        if (byFile) found = byFile[0];
      }
    }
  }
  stepOf.set(id, found);
  return found;
}
const totals = new Map();
let all = 0;
// Only the samples of the measured load count (the profile's clock is the monotonic one in µs).
let at = profile.startTime;
for (let i = 0; i < profile.samples.length; i++) {
  const dt = profile.timeDeltas[i] ?? 0;
  at += dt;
  if (at < window[0] || at > window[1]) continue;
  const name = step(profile.samples[i]) ?? 'other (V8, timers, app glue)';
  totals.set(name, (totals.get(name) ?? 0) + dt);
  all += dt;
}
const busy = all - (totals.get('idle') ?? 0);
console.log(
  `${route}${postgres ? ' on PostgreSQL' : ''}: ${Math.round(result.requests.average)} req/s under load; the server used ${Math.round(cpuPerRequest)} µs of CPU per request ` +
    `(process.cpuUsage; a bare Express route answering the same body: ${Math.round(bare.cpuPerRequest)} µs, ` +
    `${Math.round(bare.result.requests.average)} req/s); its profile was busy ${((100 * busy) / all).toFixed(0)}% of the time`,
);
// A step's CPU is estimated as its share of the busy samples times the measured CPU per request.
// The socket-write row also holds waits for a CPU, so on a busy machine the others read low.
console.log(
  'step                                                share of busy samples   ≈ µs of CPU per request',
);
for (const [name, t] of [...totals].filter(([n]) => n !== 'idle').sort((a, b) => b[1] - a[1])) {
  console.log(
    `${name.padEnd(52)} ${`${((100 * t) / busy).toFixed(1)}%`.padStart(8)}   ${((t / busy) * cpuPerRequest).toFixed(0).padStart(10)}`,
  );
}
