// Shared by the list benchmark and the profiling driver: a server with one project holding
// 100 secrets in dev at `/`, and the admin token that lists them.
import { startServer } from '../dist/index.js';

export async function call(url, token, method, path, body) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body && JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/**
 * Starts a server (no rate limit), bootstraps it and creates one project; returns the server, the
 * admin token and the project. `options` go to startServer (e.g. `databaseUrl` for PostgreSQL;
 * default: in-memory SQLite).
 */
export async function serverWithProject(slug, options = {}) {
  const kms = await startServer({ rateLimit: false, ...options });
  const boot = await call(kms.url, null, 'POST', '/api/v1/admin/bootstrap', {
    email: 'b@bench.test',
    password: 'bench-admin-password',
    organization: 'bench',
  });
  const admin = boot.identity.credentials.token;
  const { project } = await call(kms.url, admin, 'POST', '/api/v2/workspace', { projectName: slug, slug });
  return { kms, admin, project };
}

/**
 * Starts a server and provisions 100 secrets; returns it, the admin token, the list path and the
 * path reading one of the secrets. `options` go to startServer (see serverWithProject).
 */
export async function serverWith100Secrets(options = {}) {
  const { kms, admin, project } = await serverWithProject('bench', options);
  await call(kms.url, admin, 'POST', '/api/v3/secrets/batch/raw', {
    workspaceId: project.id,
    environment: 'dev',
    secretPath: '/',
    secrets: Array.from({ length: 100 }, (_, i) => ({
      secretKey: `SECRET_${String(i).padStart(3, '0')}`,
      secretValue: `value-${i}-${'x'.repeat(40)}`,
    })),
  });
  const listPath = `/api/v3/secrets/raw?workspaceId=${project.id}&environment=dev&secretPath=/`;
  const readPath = `/api/v3/secrets/raw/SECRET_000?workspaceId=${project.id}&environment=dev&secretPath=/`;
  return { kms, admin, listPath, readPath };
}

/**
 * Statements and database round trips per request: the growth of the store's counters
 * (src/store/sql/database.ts, SqlCounters) over each of `n` sequential GETs of `path`, the median
 * of them. Sequential, so each request's writes commit alone (nothing shares them).
 */
export async function perRequest(kms, token, path, n = 50) {
  const { counters } = kms.store.sql;
  const statements = [];
  const roundTrips = [];
  for (let i = 0; i < n; i++) {
    const before = { ...counters };
    await call(kms.url, token, 'GET', path);
    statements.push(counters.statements - before.statements);
    roundTrips.push(counters.roundTrips - before.roundTrips);
  }
  // The median request: a statement of a background job (token purge, audit checkpoint, rotation
  // poll) landing during one request is not that request's.
  const median = (list) => list.sort((a, b) => a - b)[Math.floor(list.length / 2)];
  return { statements: median(statements), roundTrips: median(roundTrips) };
}
