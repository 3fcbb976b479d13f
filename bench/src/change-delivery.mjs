// Change delivery: how long a changed secret takes to reach a running session's onChange, with the
// change-notice stream (push) and with a 5 s poll, and what idle sessions cost in requests. Prints
// figures and the goals (p99 <= 1 s with push; <= 1 request per idle session per minute
// beyond heartbeats); it is not a test and asserts nothing.
//   node src/change-delivery.mjs      BENCH_CHANGES=100 BENCH_IDLE_SESSIONS=100 BENCH_IDLE_SECONDS=60
import { createServer, request } from 'node:http';
import { createSecretsSession } from '@hanzo/kms-node';
import { startServer } from '@hanzo/kms-server';
import { provision } from './provision.mjs';

const CHANGES = Number(process.env.BENCH_CHANGES ?? 100);
const IDLE_SESSIONS = Number(process.env.BENCH_IDLE_SESSIONS ?? 100);
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 60);
const POLL_MS = 5000;
/** Sessions measured side by side (each its own folder), so the 5 s poll rows finish in minutes. */
const LANES = 10;

const percentile = (xs, p) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];

/** A pass-through proxy in front of the server that counts requests (a stream counts once). */
async function countingProxy(target) {
  let count = 0;
  const proxy = createServer((req, res) => {
    count++;
    const upstream = request(
      new URL(req.url, target),
      { method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  await new Promise((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${proxy.address().port}`,
    get count() {
      return count;
    },
    reset() {
      count = 0;
    },
    close: () => {
      proxy.closeAllConnections();
      return new Promise((resolve) => proxy.close(resolve));
    },
  };
}

const server = await startServer({
  rateLimit: false,
  settings: { changeStream: { maxPerIdentity: 1000 } },
});
const creds = await provision(server.url, { SEED: 'x' });
const proxy = await countingProxy(server.url);
const admin = async (method, path, body) => {
  const res = await fetch(server.url + path, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${creds.adminToken}` },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
};
for (let lane = 0; lane < LANES; lane++)
  await admin('POST', '/api/v1/folders', {
    workspaceId: creds.projectId,
    environment: 'dev',
    name: `lane${lane}`,
    path: '/',
  });

const sessionFor = (secretPath, refreshInterval, push) =>
  createSecretsSession({
    siteUrl: proxy.url,
    clientId: creds.clientId,
    clientSecret: creds.clientSecret,
    projectId: creds.projectId,
    environment: 'dev',
    secretPath,
    refreshInterval,
    push,
    credentialsDir: '/nonexistent-kms-bench',
    env: {},
  });

/** Latencies (ms) from the write being sent to onChange, CHANGES in all over LANES sessions. */
async function changeLatencies(push) {
  const perLane = Math.ceil(CHANGES / LANES);
  const lanes = await Promise.all(
    Array.from({ length: LANES }, async (_, lane) => {
      const path = `/lane${lane}`;
      await admin('POST', '/api/v3/secrets/raw/ROTATED', {
        workspaceId: creds.projectId,
        environment: 'dev',
        secretPath: path,
        secretValue: 'v0',
      }).catch(() => {});
      const session = sessionFor(path, POLL_MS, push);
      await session.load();
      session.start();
      const deadline = Date.now() + 10_000;
      while (push && session.status().push !== 'connected' && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      return { path, session };
    }),
  );
  const latencies = [];
  await Promise.all(
    lanes.map(async ({ path, session }) => {
      for (let i = 1; i <= perLane; i++) {
        const value = `v-${push ? 'push' : 'poll'}-${i}`;
        const seen = new Promise((resolve) => {
          const off = session.onChange(() => {
            if (session.secrets.ROTATED === value) {
              off();
              resolve(performance.now());
            }
          });
        });
        // A random phase against the poll timer, as a real change has (right after onChange the
        // poll that found it has just run, so without this every change would wait a whole interval).
        await new Promise((r) => setTimeout(r, Math.random() * (push ? 200 : POLL_MS)));
        const started = performance.now();
        await admin('PATCH', '/api/v3/secrets/raw/ROTATED', {
          workspaceId: creds.projectId,
          environment: 'dev',
          secretPath: path,
          secretValue: value,
        });
        latencies.push((await seen) - started);
      }
    }),
  );
  await Promise.all(lanes.map(({ session }) => session.close()));
  return latencies.slice(0, CHANGES);
}

/** Requests per idle session per minute over IDLE_SECONDS, after every session is up. */
async function idleRate(push) {
  const sessions = Array.from({ length: IDLE_SESSIONS }, () => sessionFor('/', POLL_MS, push));
  for (let i = 0; i < sessions.length; i += 20)
    await Promise.all(sessions.slice(i, i + 20).map((s) => s.load()));
  for (const s of sessions) s.start(Math.random() * POLL_MS);
  const deadline = Date.now() + 30_000;
  while (push && sessions.some((s) => s.status().push !== 'connected') && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
  const connected = sessions.filter((s) => s.status().push === 'connected').length;
  proxy.reset();
  await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
  const requests = proxy.count;
  await Promise.all(sessions.map((s) => s.close()));
  return { requests, perSessionMinute: requests / IDLE_SESSIONS / (IDLE_SECONDS / 60), connected };
}

const row = (label, xs) =>
  `${label.padEnd(26)} p50 ${percentile(xs, 50).toFixed(0).padStart(6)} ms   p99 ${percentile(xs, 99).toFixed(0).padStart(6)} ms   (n=${xs.length})`;

console.log(`change -> onChange in a running session (${CHANGES} changes over ${LANES} sessions)`);
const push = await changeLatencies(true);
console.log(row('push (change stream)', push));
const poll = await changeLatencies(false);
console.log(row(`poll every ${POLL_MS / 1000} s`, poll));
console.log(
  `  push is ${(percentile(poll, 50) / percentile(push, 50)).toFixed(0)}x faster at p50, ${(percentile(poll, 99) / percentile(push, 99)).toFixed(0)}x at p99`,
);

console.log(
  `\nrequests of ${IDLE_SESSIONS} idle sessions over ${IDLE_SECONDS} s (heartbeats ride the open stream)`,
);
const idlePush = await idleRate(true);
console.log(
  `push (change stream)       ${String(idlePush.requests).padStart(6)} requests   ${idlePush.perSessionMinute.toFixed(2)} per session per minute   (${idlePush.connected} streams connected)`,
);
const idlePoll = await idleRate(false);
console.log(
  `poll every ${POLL_MS / 1000} s             ${String(idlePoll.requests).padStart(6)} requests   ${idlePoll.perSessionMinute.toFixed(2)} per session per minute`,
);

const p99 = percentile(push, 99);
console.log('\ngoals (issue #29)');
console.log(
  `  p99 change -> onChange with push <= 1000 ms: ${p99.toFixed(0)} ms, ${p99 <= 1000 ? 'met' : 'NOT met'}`,
);
console.log(
  `  idle session <= 1 request per minute beyond heartbeats: ${idlePush.perSessionMinute.toFixed(2)}, ${idlePush.perSessionMinute <= 1 ? 'met' : 'NOT met'}`,
);

await proxy.close();
await server.close();
