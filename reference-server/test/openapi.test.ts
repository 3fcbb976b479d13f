import { execFile } from 'node:child_process';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Validator } from '@seriousme/openapi-schema-validator';
import openapiTS, { astToString } from 'openapi-typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { createSqliteStore } from '../src/store/store.js';
import { type RegisteredRoute, registeredRoutes } from './helpers/express-routes.js';
import { testKeyManager } from './helpers/test-key-manager.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

const run = promisify(execFile);

let kms: TestServer;
beforeAll(async () => {
  kms = await startTestServer();
});
afterAll(() => kms.close());

type Document = {
  openapi: string;
  paths: Record<string, Record<string, any>>;
  tags: { name: string }[];
  components: Record<string, any>;
};
const fetchDocument = async () => (await kms.call<Document>('GET', '/api/docs/json')).body;

describe('unknown routes', () => {
  // Upstream: Infisical/infisical pull request 8064 (a setNotFoundHandler beside
  // backend/src/server/plugins/error-handler.ts): Fastify's "Route METHOD:url not found" plus a
  // pointer to the spec, in the message and in `docs`.
  it('answer 404 naming the method and the path without its query, pointing at the OpenAPI document', async () => {
    const res = await kms.call('POST', '/api/v1/nope?token=abc', {});
    expect(res.status).toBe(404);
    expect(res.body).toEqual({
      reqId: res.headers.get('x-request-id'),
      statusCode: 404,
      error: 'Not Found',
      message:
        'Route POST:/api/v1/nope not found. The OpenAPI spec listing all available routes is at GET /api/docs/json.',
      docs: '/api/docs/json',
    });
  });
});

describe('GET /api/docs/json', () => {
  it('serves, without a token, an OpenAPI 3.1 document a real validator accepts', async () => {
    const res = await kms.call('GET', '/api/docs/json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.body.openapi).toBe('3.1.0');
    const validator = new Validator();
    const result = await validator.validate(res.body);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('describes every route the app registers, and registers every route it describes', async () => {
    const store = await createSqliteStore(':memory:');
    try {
      const registered = registeredRoutes(createApp({ store, keys: await testKeyManager() }));
      const described = new Set<RegisteredRoute>();
      for (const [path, item] of Object.entries((await fetchDocument()).paths)) {
        for (const method of Object.keys(item)) {
          described.add(`${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`);
        }
      }
      const undocumented = [...registered].filter((r) => !described.has(r));
      const unregistered = [...described].filter((r) => !registered.has(r));
      expect(
        undocumented,
        `Routes the app registers that the OpenAPI document does not describe:\n  ${undocumented.join('\n  ')}\n` +
          'Add an entry for each to the `…RouteDocs` list in the router file that registers it ' +
          '(method, path exactly as registered, summary, and the zod schemas the handler parses: see src/openapi/route-doc.ts). ' +
          'A new router file exports its own list and adds it to ROUTE_DOCS in src/openapi/catalogue.ts.',
      ).toEqual([]);
      expect(
        unregistered,
        `Routes the OpenAPI document describes that the app does not register:\n  ${unregistered.join('\n  ')}\n` +
          "Fix the entry's method or path in its router file's `…RouteDocs` list, or remove it with the route.",
      ).toEqual([]);
      expect(registered.size).toBeGreaterThan(100);
    } finally {
      await store.close();
    }
  });

  it('carries the error envelope, the bearer scheme, a tag per area, the zod schemas and the deviations', async () => {
    const doc = await fetchDocument();
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components.schemas.Error.required).toEqual(['reqId', 'statusCode', 'message', 'error']);
    const tags = new Set(doc.tags.map((t) => t.name));
    for (const item of Object.values(doc.paths)) {
      for (const op of Object.values(item)) {
        expect(tags.has(op.tags[0]), `${op.operationId}: tag ${op.tags[0]}`).toBe(true);
        expect(op.responses['422']).toEqual({ $ref: '#/components/responses/ValidationFailure' });
      }
    }
    const login = doc.paths['/api/v1/auth/universal-auth/login']!.post;
    expect(login.security).toEqual([]);
    expect(login.requestBody.content['application/json'].schema).toMatchObject({
      type: 'object',
      required: ['clientId', 'clientSecret'],
    });
    const list = doc.paths['/api/v3/secrets/raw']!.get;
    expect(list.security).toEqual([{ bearerAuth: [] }]);
    expect(list.description).toMatch(/^Differs from upstream: D5/);
    expect(list.parameters).toContainEqual({
      name: 'include_imports',
      in: 'query',
      required: false,
      schema: { type: 'string', enum: ['true', 'false'] },
    });
    const keyById = doc.paths['/api/v1/kms/keys/{keyId}']!.get;
    expect(keyById.parameters[0]).toMatchObject({
      name: 'keyId',
      in: 'path',
      required: true,
      schema: { format: 'uuid' },
    });
    expect(doc.paths['/api/v1/workspace/{projectId}']!.get.deprecated).toBe(true);
  });

  it('drives a typed client generated from it (openapi-typescript + openapi-fetch), typechecked and called', async () => {
    const doc = await fetchDocument();
    const project = await kms.createProject('generated-client');
    const dir = await mkdtemp(join(tmpdir(), 'kms-openapi-client-'));
    try {
      // The generated types, from the served document alone (no network).
      await writeFile(join(dir, 'schema.ts'), astToString(await openapiTS(doc as never)));
      await writeFile(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
      await symlink(new URL('../node_modules', import.meta.url).pathname, join(dir, 'node_modules'), 'dir');
      await writeFile(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            strict: true,
            noEmit: true,
            target: 'es2022',
            module: 'nodenext',
            moduleResolution: 'nodenext',
            allowImportingTsExtensions: true,
            lib: ['es2022', 'dom'],
            types: [],
            skipLibCheck: true,
          },
          include: ['*.ts'],
        }),
      );
      await writeFile(
        join(dir, 'client.ts'),
        `import createClient from 'openapi-fetch';
import type { paths } from './schema.ts';

declare const process: { argv: string[] };
const [baseUrl, token, workspaceId] = process.argv.slice(2) as [string, string, string];
const client = createClient<paths>({ baseUrl, headers: { authorization: \`Bearer \${token}\` } });

const created = await client.POST('/api/v1/folders', {
  body: { workspaceId, environment: 'dev', name: 'generated', path: '/' },
});
const listed = await client.GET('/api/v1/folders', {
  params: { query: { workspaceId, environment: 'dev', path: '/' } },
});
const missing = await client.GET('/api/v1/folders/{folderId}', { params: { path: { folderId: 'no-such-folder' } } });
// The document types the body: a number where it says string does not compile.
// @ts-expect-error name is a string
export const wrong = () => client.POST('/api/v1/folders', { body: { workspaceId, environment: 'dev', name: 42 } });
console.log(JSON.stringify({ created: created.response.status, listed: listed.data, missing: missing.error }));
`,
      );
      const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
      await run(process.execPath, [tsc, '-p', dir]).catch((error: { stdout?: string }) => {
        throw new Error(`the generated client does not typecheck:\n${error.stdout}`);
      });
      const { stdout } = await run(process.execPath, [
        join(dir, 'client.ts'),
        kms.url,
        kms.adminToken,
        project.id,
      ]);
      const out = JSON.parse(stdout);
      expect(out.created).toBe(200);
      expect(out.listed.folders.map((f: { name: string }) => f.name)).toEqual(['generated']);
      expect(out.missing).toMatchObject({ statusCode: 404, error: 'NotFound' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
