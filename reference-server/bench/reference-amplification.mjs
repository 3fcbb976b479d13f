// Figures for the reference-expansion amplifier of issue #23: a member stores Z = 64 KiB and
// Y = "${Z}" x 4000 (16 KB stored); before the limits one expanded read of Y answered 262 MB.
// Prints, per case: status, bytes answered, wall time, and the server's RSS growth, then 16
// concurrent readers (half reading Y, half listing its folder) against /api/status latency.
// Run: pnpm --filter @hanzo/kms-server exec node bench/reference-amplification.mjs (after build)
import { startServer } from '../dist/index.js';
import { call } from './provision-list.mjs';

const kms = await startServer({ rateLimit: false });
const boot = await call(kms.url, null, 'POST', '/api/v1/admin/bootstrap', {
  email: 'b@bench.test',
  password: 'kms-bench-7Qx2-vT9m-Lp4w', // at least 12 characters, as every bootstrap password
  organization: 'bench',
});
const admin = boot.identity.credentials.token;
const { project } = await call(kms.url, admin, 'POST', '/api/v2/workspace', {
  projectName: 'amp',
  slug: 'amp-bench',
});
await call(kms.url, admin, 'POST', '/api/v3/secrets/batch/raw', {
  workspaceId: project.id,
  environment: 'dev',
  secretPath: '/',
  secrets: [
    { secretKey: 'Z', secretValue: 'z'.repeat(64 * 1024) },
    { secretKey: 'Y', secretValue: '${Z}'.repeat(4000) },
    { secretKey: 'Y2', secretValue: '${Z}'.repeat(4000) },
    { secretKey: 'Y3', secretValue: '${Z}'.repeat(16_384) },
  ],
});
const query = `workspaceId=${project.id}&environment=dev&secretPath=/&expandSecretReferences=true`;
const get = async (path) => {
  const started = performance.now();
  const res = await fetch(`${kms.url}${path}`, { headers: { authorization: `Bearer ${admin}` } });
  const bytes = (await res.arrayBuffer()).byteLength;
  return { status: res.status, bytes, ms: performance.now() - started };
};
const mb = (n) => (n / 1024 / 1024).toFixed(1);
const rss0 = process.memoryUsage().rss;
for (const [name, path] of [
  ['read Y', `/api/v3/secrets/raw/Y?${query}`],
  ['list Y, Y2, Y3, Z', `/api/v3/secrets/raw?${query}`],
]) {
  const r = await get(path);
  console.log(
    `${name.padEnd(20)} status ${r.status}  ${r.bytes} bytes  ${r.ms.toFixed(1)} ms  RSS +${mb(process.memoryUsage().rss - rss0)} MB`,
  );
}
let stop = false;
let reads = 0;
const reader = async (n) => {
  while (!stop) {
    await get(n % 2 ? `/api/v3/secrets/raw/Y?${query}` : `/api/v3/secrets/raw?${query}`);
    reads++;
  }
};
const started = performance.now();
const readers = Array.from({ length: 16 }, (_, n) => reader(n));
const status = [];
for (let i = 0; i < 50; i++) status.push((await get('/api/status')).ms);
stop = true;
await Promise.all(readers);
const seconds = (performance.now() - started) / 1000;
status.sort((a, b) => a - b);
console.log(
  `16 readers: ${reads} reads in ${seconds.toFixed(1)} s; /api/status p50 ${status[25].toFixed(1)} ms, max ${status.at(-1).toFixed(1)} ms; peak RSS ${mb(process.resourceUsage().maxRSS * 1024)} MB`,
);
await kms.close();
