// Routing: each router is mounted under the path prefixes it serves (src/app.ts), so a request
// walks only the routers that can answer it. These tests pin what that must not change: every
// documented route still reaches its handler, and unknown routes and wrong methods under every
// prefix answer exactly as when all routers were walked in turn.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTE_DOCS } from '../src/openapi/catalogue.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

let kms: TestServer;
beforeAll(async () => {
  kms = await startTestServer();
});
afterAll(() => kms.close());

const notFound = (method: string, path: string) => ({
  statusCode: 404,
  error: 'Not Found',
  message: `Route ${method}:${path} not found. The OpenAPI spec listing all available routes is at GET /api/docs/json.`,
  docs: '/api/docs/json',
});

/** The answer without its per-request id; a body that is not JSON (the change stream's) is not read. */
async function answer(method: string, path: string, token?: string) {
  const hasBody = !['GET', 'HEAD', 'OPTIONS'].includes(method);
  const res = await fetch(`${kms.url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(hasBody ? { 'content-type': 'application/json' } : {}),
    },
    ...(hasBody ? { body: '{}' } : {}),
  });
  const json = (res.headers.get('content-type') ?? '').startsWith('application/json');
  const { reqId, ...body } = json ? ((await res.json()) as Record<string, unknown>) : {};
  if (!json) await res.body?.cancel();
  if (reqId !== undefined) expect(reqId).toBe(res.headers.get('x-request-id'));
  return { status: res.status, allow: res.headers.get('allow'), body };
}

/** Each router's prefixes and the prefixes of the routers nested in them; '' probes `/` alone. */
const PREFIXES = [
  '/api/status',
  '/api/v1/admin',
  '/api/v1/auth',
  '/api/v1/auth/universal-auth',
  '/api/v1/auth/token-auth',
  '/api/v1/auth/oidc-auth',
  '/api/v1/auth/jwt-auth',
  '/api/v1/identities',
  '/api/v1/workspace',
  '/api/v2/workspace',
  '/api/v1/projects',
  '/api/v3/secrets',
  '/api/v1/secret',
  '/api/v1/secret-snapshot',
  '/api/v1/folders',
  '/api/v1/secret-imports',
  '/api/v2/secret-imports',
  '/api/v1/kms',
  '/api/v1/audit-logs',
  '/api/v1/organization',
  '/api/v1/app-connections',
  '/api/v2/secret-rotations',
  '/api/docs',
  '/api/v1/webhooks',
  '/api/v1/change-notices',
  '/api',
  '',
];

describe('unknown routes and wrong methods', () => {
  // The answers were recorded with every router mounted at the root and walked in turn (before
  // src/http/mount.ts); mounting by prefix must not change one of them. Under an authenticated
  // prefix an unknown route is a 401 without a token and a 404 with one; OPTIONS lists the methods.
  it('answer under every prefix exactly as before, with and without a token', async () => {
    const rows: string[] = [];
    for (const prefix of PREFIXES) {
      const paths = prefix
        ? [`${prefix}/no-such-route/x`, `${prefix}x`, prefix, `${prefix.toUpperCase()}/`]
        : ['/'];
      for (const path of paths) {
        for (const method of ['GET', 'PUT', 'OPTIONS']) {
          for (const token of [undefined, kms.adminToken]) {
            const { status, allow, body } = await answer(method, path, token);
            rows.push(
              `${method} ${path} ${token ? 'token' : 'none'}: ${status} allow=${allow} ${JSON.stringify(body)}`,
            );
          }
        }
      }
    }
    await expect(`${rows.join('\n')}\n`).toMatchFileSnapshot('./routing-answers.golden.txt');
  });

  it('name the method and the raw path of a route no router serves', async () => {
    for (const [method, path] of <const>[
      ['GET', '/api/v9/anything'],
      ['DELETE', '/API/V3/SECRETS/RAW/'],
      ['PUT', '/api/v3/secrets/raw/name'],
      ['POST', '/api/status'],
    ]) {
      const res = await answer(method, path, kms.adminToken);
      expect(res.status).toBe(404);
      expect(res.body).toEqual(notFound(method, path));
    }
  });
});

// Runs after the golden answers: its requests (refused, or naming unknown ids) change nothing they read.
describe('every documented route reaches its handler', () => {
  const routes = ROUTE_DOCS.flatMap((d) =>
    (Array.isArray(d.path) ? d.path : [d.path]).map(
      (path: string) => [d.method.toUpperCase(), path] as const,
    ),
  );
  it.each(routes)('%s %s', async (method, path) => {
    const concrete = path.replace(/:[A-Za-z]+/g, 'no-such-id');
    // With a token: without one, a router earlier on the same prefix may answer 401 first.
    const res = await answer(method, concrete, kms.adminToken);
    expect(res.body.message).not.toBe(notFound(method, concrete).message);
    // Express routes case-insensitively and ignores a trailing slash: so does every mount.
    const loud = `${concrete.toUpperCase()}/`;
    const shouted = await answer(method, loud, kms.adminToken);
    expect(shouted.body.message).not.toBe(notFound(method, loud).message);
  });
});
