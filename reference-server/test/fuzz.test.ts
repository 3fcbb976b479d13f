// Fuzz suite: every route of the app × malformed JSON, wrong types, huge and odd values and bad
// escapes, as an admin (the deepest code paths) and as a viewer. No answer may be a 5xx, and the
// server must still answer afterwards. Deterministic (seeded) and bounded so it runs in seconds.
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { LocalKeyManager } from '../src/crypto/key-manager.js';
import { createSqliteStore } from '../src/store/store.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';
import { seededRandom } from './helpers/seeded-random.js';

interface Route {
  method: string;
  path: string;
}

/** Every route registered on the app, read from Express's router stacks. */
async function routesOf(): Promise<Route[]> {
  const app = createApp({
    store: await createSqliteStore(':memory:'),
    keys: new LocalKeyManager(new Uint8Array(32)),
  });
  const routes: Route[] = [];
  type Layer = {
    route?: { path: string | string[]; methods: Record<string, boolean> };
    handle?: { stack?: Layer[] };
  };
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        for (const path of paths)
          for (const method of Object.keys(layer.route.methods))
            routes.push({ method: method.toUpperCase(), path });
      } else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  // Deletes last, so the project and identities the other cases aim at exist while they run.
  return routes.sort((a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE'));
}

const ODD_VALUES: unknown[] = [
  null,
  true,
  -1,
  0,
  1e308,
  -0,
  Number.MAX_SAFE_INTEGER,
  '',
  ' ',
  'x'.repeat(70_000),
  '%ZZ',
  '../..',
  '/a;b',
  '${x}',
  '\u0000',
  '\ud800',
  '💥',
  '9999999999w',
  '2026-13-45T99:99:99Z',
  '0.0.0.0/-1',
  [],
  [null],
  Array.from({ length: 2000 }, () => ({ role: 'viewer' })),
  {},
  { role: 'admin' },
  { __proto__: { polluted: true } },
  { a: { b: { c: { d: { e: { f: {} } } } } } },
];

const FIELDS = [
  'name',
  'slug',
  'projectName',
  'workspaceId',
  'projectId',
  'workspaceSlug',
  'environment',
  'secretPath',
  'path',
  'directory',
  'secretValue',
  'secretComment',
  'secretKey',
  'secretName',
  'newSecretName',
  'secrets',
  'tagIds',
  'role',
  'roles',
  'organizationId',
  'clientId',
  'clientSecret',
  'accessToken',
  'accessTokenTTL',
  'accessTokenMaxTTL',
  'accessTokenNumUsesLimit',
  'accessTokenTrustedIps',
  'clientSecretTrustedIps',
  'ttl',
  'numUsesLimit',
  'description',
  'metadata',
  'secretMetadata',
  'position',
  'import',
  'type',
  'email',
  'password',
  'organization',
  'hasDeleteProtection',
  'isReplication',
];

const QUERIES = [
  '?limit=-1&offset=1e309',
  '?limit=abc&offset=%ZZ',
  '?workspaceId=%00&environment=..&secretPath=%2e%2e%2f',
  '?eventMetadata=.%3D1&startDate=not-a-date',
  '?include_imports=maybe&recursive=2&expandSecretReferences=yes',
  `?secretPath=${'/a'.repeat(2000)}`,
  '?tagSlugs=,,,&type=personal&version=-3',
  '?a[]=1&a[]=2&orgId[x]=1',
];

const routes = await routesOf();

describe('fuzz: no input produces a 5xx', () => {
  let kms: TestServer;
  let viewerToken: string;
  let ids: Record<string, string>;

  beforeAll(async () => {
    kms = await startTestServer();
    const project = await kms.createProject('fuzzed');
    const viewer = await kms.createMachineIdentity({ project: { id: project.id, role: 'viewer' } });
    viewerToken = (await kms.login(viewer.clientId, viewer.clientSecret)).body.accessToken;
    ids = {
      projectId: project.id,
      slug: 'fuzzed',
      identityId: viewer.identityId,
      secretName: 'K',
      folderId: 'f',
      folderIdOrName: 'f',
      envId: 'e',
      tagId: 't',
      secretImportId: 'i',
      tokenId: 't',
      clientSecretId: 'c',
      identityMembershipId: 'm',
    };
  });
  afterAll(() => kms?.close());

  it('enumerates the app routes', () => {
    expect(routes.length).toBeGreaterThan(60);
  });

  it('every route × odd params, queries and bodies, as admin and as viewer', async () => {
    const random = seededRandom(0x6b6d73);
    const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
    const failures: string[] = [];
    let sent = 0;
    const send = async (method: string, path: string, body: string | undefined, token: string) => {
      sent++;
      const res = await fetch(`${kms.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body,
      });
      await res.arrayBuffer();
      if (res.status >= 500)
        failures.push(`${method} ${path.slice(0, 120)} ${body?.slice(0, 120)} -> ${res.status}`);
    };
    const fill = (pattern: string, odd: boolean) =>
      pattern.replace(/:(\w+)/g, (_, name: string) =>
        odd ? pick(['%ZZ', '%E0%A4%A', 'x'.repeat(3000), '..', '%2e%2e', 'null', '%00']) : (ids[name] ?? 'x'),
      );
    const bodies = (): (string | undefined)[] => {
      const random1 = Object.fromEntries(FIELDS.map((f) => [f, pick(ODD_VALUES)]));
      const random2 = Object.fromEntries(
        FIELDS.filter(() => random() < 0.3).map((f) => [f, pick(ODD_VALUES)]),
      );
      return [
        undefined,
        '{"unterminated": ',
        'null',
        '[]',
        '"a string"',
        '{}',
        JSON.stringify(random1),
        JSON.stringify({ ...random2, workspaceId: ids.projectId, environment: 'dev', secretPath: '/' }),
        JSON.stringify({ ...random2, projectId: ids.projectId, organizationId: kms.orgId }),
        `{${'"a":{'.repeat(500)}${'}'.repeat(500)}}`,
      ];
    };
    for (const route of routes) {
      for (const token of [kms.adminToken, viewerToken]) {
        await send(route.method, fill(route.path, true), undefined, token);
        await send(route.method, fill(route.path, false) + pick(QUERIES), undefined, token);
        if (route.method !== 'GET') {
          for (const body of bodies()) await send(route.method, fill(route.path, false), body, token);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThan(1000);
    const alive = await kms.call('GET', '/api/status');
    expect(alive.status).toBe(200);
    expect((await kms.verifyAuditLog()).ok).toBe(true);
    // Thousands of sequential requests, more with every route added, through two replicas on
    // PostgreSQL in that suite: a bound against a hang, not a speed goal.
  }, 240_000);

  it('every body route × corrupt, truncated and unaccepted compressed bodies: 400 or 415, never a 5xx', async () => {
    const json = Buffer.from(JSON.stringify({ workspaceId: ids.projectId, environment: 'dev', name: 'x' }));
    const cases: [string, Buffer, number][] = [
      ['gzip', Buffer.from('not gzip at all'), 400],
      ['deflate', Buffer.from('not deflate'), 400],
      ['br', Buffer.from('not brotli'), 400],
      ['gzip', gzipSync(json).subarray(0, 12), 400],
      ['deflate', deflateSync(json).subarray(0, 8), 400],
      ['gzip', Buffer.concat([gzipSync(json), Buffer.from('trailing garbage')]), 400],
      ['zstd', Buffer.from('x'), 415],
      ['compress', Buffer.from('x'), 415],
      ['gzip, gzip', gzipSync(gzipSync(json)), 415],
    ];
    const unexpected: string[] = [];
    for (const route of routes.filter((r) => r.method !== 'GET')) {
      const path = route.path.replace(/:(\w+)/g, (_, name: string) => ids[name] ?? 'x');
      for (const token of [undefined, kms.adminToken]) {
        for (const [coding, body, status] of cases) {
          const res = await fetch(`${kms.url}${path}`, {
            method: route.method,
            headers: {
              'content-type': 'application/json',
              'content-encoding': coding,
              ...(token ? { authorization: `Bearer ${token}` } : {}),
            },
            body,
          });
          const answer = (await res.json()) as { error?: string; message?: string };
          if (res.status !== status)
            unexpected.push(`${route.method} ${path} ${coding} -> ${res.status} ${answer.message}`);
        }
      }
    }
    expect(unexpected).toEqual([]);
    // A good compressed body still works: gzip, deflate and br decode to the same JSON.
    for (const [coding, encode] of [
      ['gzip', gzipSync],
      ['deflate', deflateSync],
      ['br', brotliCompressSync],
    ] as const) {
      const res = await fetch(`${kms.url}/api/v1/auth/universal-auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': coding },
        body: encode(Buffer.from(JSON.stringify({ clientId: 'nobody', clientSecret: 'wrong' }))),
      });
      expect([coding, res.status, ((await res.json()) as { message: string }).message]).toEqual([
        coding,
        401,
        'Invalid credentials',
      ]);
    }
  }, 60_000);
});
