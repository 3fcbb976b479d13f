// Benchmark: requests/s and p99 latency of listing 100 secrets (decrypt + audit, real token
// checks) against a bare Express route returning the same JSON, same machine, same run; on the
// default store (SQLite in memory) and on PostgreSQL (a real server from embedded-postgres, fsync
// on, one replica with the default pool of 10). Also counts SQLite statements and PostgreSQL round
// trips per request (sequential requests, src/store/sql/database.ts SqlCounters). Goals, printed as
// MET / NOT MET: SQLite list >= 0.75x bare; PostgreSQL list >= 0.5x the SQLite list; <= 4 round
// trips per authenticated request on PostgreSQL.
// Run: pnpm --filter @hanzo/kms-server bench (BENCH_POSTGRES=0 skips PostgreSQL).
import autocannon from 'autocannon';
import express from 'express';
import { startEmbeddedPostgres } from '../tools/embedded-postgres.mjs';
import { call, perRequest, serverWith100Secrets } from './provision-list.mjs';

const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
// Each target is loaded this long, unmeasured, before its measured run: both sides of a ratio are
// then compared warm (compiled code, caches filled), whatever ran before them.
const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);

function load(url, headers, duration) {
  return new Promise((resolve, reject) => {
    autocannon({ url, headers, connections: CONNECTIONS, duration }, (error, result) =>
      error ? reject(error) : resolve(result),
    );
  });
}

/** The measured run of `url`, after its warm-up. */
async function run(url, headers) {
  if (WARMUP > 0) await load(url, headers, WARMUP);
  return load(url, headers, DURATION);
}

const { kms, admin, listPath, readPath } = await serverWith100Secrets();
const sample = await call(kms.url, admin, 'GET', listPath);
if (sample.secrets.length !== 100) throw new Error('expected 100 secrets');

const bare = express();
bare.get('/list', (_req, res) => res.json(sample));
const bareServer = await new Promise((resolve) => {
  const s = bare.listen(0, '127.0.0.1', () => resolve(s));
});
const bareUrl = `http://127.0.0.1:${bareServer.address().port}/list`;

console.log(`listing 100 secrets, ${CONNECTIONS} connections, ${DURATION}s each (Node ${process.version})`);
const bareResult = await run(bareUrl, {});
/** Runs the load and adds the store's statements and round trips per answered request under it. */
async function runCounted(store, url, headers) {
  if (WARMUP > 0) await load(url, headers, WARMUP);
  const before = { ...store.sql.counters };
  const result = await load(url, headers, DURATION);
  const n = result['2xx'] || 1;
  result.perRequest = {
    statements: (store.sql.counters.statements - before.statements) / n,
    roundTrips: (store.sql.counters.roundTrips - before.roundTrips) / n,
  };
  return result;
}

const kmsResult = await runCounted(kms.store, `${kms.url}${listPath}`, { authorization: `Bearer ${admin}` });
const etagResult = await (async () => {
  const res = await fetch(`${kms.url}${listPath}`, { headers: { authorization: `Bearer ${admin}` } });
  const etag = res.headers.get('etag');
  await res.arrayBuffer();
  return run(`${kms.url}${listPath}`, { authorization: `Bearer ${admin}`, 'if-none-match': etag });
})();

const counts = {
  sqlite: { list: await perRequest(kms, admin, listPath), read: await perRequest(kms, admin, readPath) },
};

let pgResult;
if (process.env.BENCH_POSTGRES !== '0') {
  const postgres = await startEmbeddedPostgres({ durable: process.env.BENCH_PG_FSYNC !== 'off' });
  try {
    const onPg = await serverWith100Secrets({ databaseUrl: await postgres.createDatabase() });
    counts.postgres = {
      list: await perRequest(onPg.kms, onPg.admin, onPg.listPath),
      read: await perRequest(onPg.kms, onPg.admin, onPg.readPath),
    };
    pgResult = await runCounted(onPg.kms.store, `${onPg.kms.url}${onPg.listPath}`, {
      authorization: `Bearer ${onPg.admin}`,
    });
    await onPg.kms.close();
  } finally {
    await postgres.stop();
  }
}

const row = (name, r) =>
  `${name.padEnd(34)} ${String(Math.round(r.requests.average)).padStart(8)} req/s   p99 ${String(r.latency.p99).padStart(4)} ms   non-2xx ${r.non2xx}`;
console.log(row('bare express (same JSON)', bareResult));
console.log(row('kms list (decrypt + audit)', kmsResult));
console.log(row('kms list, If-None-Match (304)', etagResult));
if (pgResult) console.log(row('kms list on PostgreSQL', pgResult));
const met = (ok) => (ok ? 'MET' : 'NOT MET');
const ratio = kmsResult.requests.average / bareResult.requests.average;
console.log(`ratio kms/bare: ${ratio.toFixed(2)} (goal >= 0.75) ${met(ratio >= 0.75)}`);
if (pgResult) {
  const pgRatio = pgResult.requests.average / bareResult.requests.average;
  const pgVsSqlite = pgResult.requests.average / kmsResult.requests.average;
  console.log(
    `ratio kms on PostgreSQL/bare: ${pgRatio.toFixed(2)}; PostgreSQL/SQLite: ${pgVsSqlite.toFixed(2)} (goal >= 0.50) ${met(pgVsSqlite >= 0.5)}`,
  );
}
const fmt = (n) => (Number.isInteger(n) ? String(n) : n.toFixed(1));
console.log(
  `SQLite statements per list: ${fmt(counts.sqlite.list.statements)}; per single-secret read: ${fmt(counts.sqlite.read.statements)}; ` +
    `per list under load (${CONNECTIONS} connections, group commit): ${fmt(kmsResult.perRequest.statements)}`,
);
if (counts.postgres) {
  const { list, read } = counts.postgres;
  console.log(
    `PostgreSQL round trips per list: ${fmt(list.roundTrips)}; per single-secret read: ${fmt(read.roundTrips)} (goal <= 4) ${met(list.roundTrips <= 4 && read.roundTrips <= 4)}`,
  );
  console.log(
    `PostgreSQL round trips per list under load (${CONNECTIONS} connections, group commit): ${fmt(pgResult.perRequest.roundTrips)}`,
  );
}
bareServer.close();
await kms.close();
