/**
 * `@hanzo/kms-testing/msw`: msw request handlers that answer like a Hanzo KMS server, for unit tests
 * that do not start one. They cover what the SDK and the adapters use: Universal Auth login, token
 * renew and revoke, secrets (list, retrieve, create, update, delete, batch) and folders, from an
 * in-memory model, with the API's status codes and error envelope. The same contract suite runs
 * against them and against the reference server (test/contract.test.ts), so they cannot drift.
 *
 * ```ts
 * import { setupServer } from 'msw/node';
 * import { kmsHandlers } from '@hanzo/kms-testing/msw';
 * const server = setupServer(...kmsHandlers({ siteUrl: 'http://kms.test', secrets: [
 *   { projectSlug: 'shop', environment: 'dev', secretPath: '/app', values: { DB_URL: 'postgres://…' } },
 * ] }));
 * ```
 *
 * msw is a peer dependency of this entry point only.
 * @packageDocumentation
 */
import { delay, type HttpHandler, HttpResponse, http } from 'msw';

// Web Crypto, so the handlers also run in browser-like test environments.
const randomUUID = () => globalThis.crypto.randomUUID();

/** One folder's secrets in the model. */
export interface MockSecretsSeed {
  /** @default 'test-project' (with `projectId` derived from it) */
  projectSlug?: string;
  /** @default a fixed id derived from the slug */
  projectId?: string;
  environment: string;
  /** @default '/' */
  secretPath?: string;
  values: Record<string, string>;
}

/** What {@link kmsHandlers} serves. */
export interface KmsHandlersOptions {
  /** The site URL the code under test uses (`/api` is served below it). */
  siteUrl: string;
  /** Universal Auth client id that logs in. @default 'test-client-id' */
  clientId?: string;
  /** Its client secret; any other answers 401. @default 'test-client-secret' */
  clientSecret?: string;
  /** The identity's role in every project. @default 'viewer' */
  role?: 'viewer' | 'member' | 'admin';
  /** Seconds; 0 = never expires. @default 3600 */
  accessTokenTTL?: number;
  /** Seconds; 0 = unlimited. @default 86400 */
  accessTokenMaxTTL?: number;
  /** Uses per token; 0 = unlimited. @default 0 */
  accessTokenNumUsesLimit?: number;
  /** Projects, environments (dev, staging and prod always exist) and folders come from these. */
  secrets?: MockSecretsSeed[];
}

interface Token {
  expiresAt: number;
  sessionEndsAt: number;
  uses: number;
  revoked: boolean;
}
interface StoredSecret {
  id: string;
  key: string;
  value: string;
  comment: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}
interface Folder {
  id: string;
  name: string;
  path: string;
  secrets: Map<string, StoredSecret>;
}
interface Project {
  id: string;
  slug: string;
  /** environment slug → folder path → folder */
  environments: Map<string, Map<string, Folder>>;
}

const ENVIRONMENTS = ['dev', 'staging', 'prod'];
const normalize = (path: string | null | undefined) =>
  `/${(path ?? '/').split('/').filter(Boolean).join('/')}`;
const parentOf = (path: string) => normalize(path.split('/').slice(0, -1).join('/'));
const now = () => new Date().toISOString();

/** The fields of request bodies the handlers read: optional and unchecked, as the wire brings them. */
interface WireBody {
  workspaceId?: string;
  projectId?: string;
  projectSlug?: string;
  workspaceSlug?: string;
  environment?: string;
  secretPath?: string;
  path?: string;
  name?: string;
  secretKey?: string;
  secretValue?: unknown;
  secretComment?: unknown;
  newSecretName?: string;
  clientId?: unknown;
  clientSecret?: unknown;
  accessToken?: unknown;
  mode?: string;
  secrets?: unknown;
}

/** The API's error envelope. */
function fail(status: number, error: string, message: string) {
  return HttpResponse.json(
    { reqId: `req-${randomUUID()}`, statusCode: status, message, error },
    { status, headers: { 'x-request-id': `req-${randomUUID()}` } },
  );
}

function ok(body: Record<string, unknown>) {
  return HttpResponse.json(body, { headers: { 'x-request-id': `req-${randomUUID()}` } });
}

/** A stable project id for a slug, so tests can write it down. */
export const mockProjectId = (slug: string) => `proj-${slug}`;

/** msw handlers answering like a Hanzo KMS server; see the module documentation. */
export function kmsHandlers(options: KmsHandlersOptions): HttpHandler[] {
  const base = `${options.siteUrl.replace(/\/+$/, '').replace(/\/api$/, '')}/api`;
  const clientId = options.clientId ?? 'test-client-id';
  const clientSecret = options.clientSecret ?? 'test-client-secret';
  const role = options.role ?? 'viewer';
  const ttl = options.accessTokenTTL ?? 3600;
  const maxTtl = options.accessTokenMaxTTL ?? 86400;
  const usesLimit = options.accessTokenNumUsesLimit ?? 0;
  const tokens = new Map<string, Token>();
  const projects = new Map<string, Project>();

  function project(slug: string, id = mockProjectId(slug)): Project {
    let p = projects.get(id);
    if (!p) {
      p = { id, slug, environments: new Map() };
      for (const env of ENVIRONMENTS) p.environments.set(env, new Map([['/', newFolder('/')]]));
      projects.set(id, p);
    }
    return p;
  }
  function newFolder(path: string): Folder {
    return {
      id: randomUUID(),
      name: path === '/' ? 'root' : (path.split('/').pop() as string),
      path,
      secrets: new Map(),
    };
  }
  function ensureFolder(env: Map<string, Folder>, path: string): Folder {
    const existing = env.get(path);
    if (existing) return existing;
    if (path !== '/') ensureFolder(env, parentOf(path));
    const folder = newFolder(path);
    env.set(path, folder);
    return folder;
  }
  for (const seed of options.secrets ?? []) {
    const p = project(seed.projectSlug ?? 'test-project', seed.projectId);
    let env = p.environments.get(seed.environment);
    if (!env) {
      env = new Map([['/', newFolder('/')]]);
      p.environments.set(seed.environment, env);
    }
    const folder = ensureFolder(env, normalize(seed.secretPath));
    for (const [key, value] of Object.entries(seed.values))
      folder.secrets.set(key, newSecret(key, value, ''));
  }

  function newSecret(key: string, value: string, comment: string): StoredSecret {
    const at = now();
    return { id: randomUUID(), key, value, comment, version: 1, createdAt: at, updatedAt: at };
  }

  function view(p: Project, envSlug: string, folder: Folder, s: StoredSecret) {
    return {
      id: s.id,
      _id: s.id,
      workspace: p.id,
      environment: envSlug,
      version: s.version,
      type: 'shared',
      secretKey: s.key,
      secretValue: s.value,
      secretComment: s.comment,
      secretReminderNote: null,
      secretReminderRepeatDays: null,
      skipMultilineEncoding: false,
      createdAt: s.createdAt,
      updatedAt: s.updatedAt,
      actor: null,
      secretPath: folder.path,
      secretValueHidden: false,
      secretMetadata: [],
      tags: [],
    };
  }

  /** The caller's token, or the response refusing it. */
  function authenticate(request: Request): Response | undefined {
    const header = request.headers.get('authorization') ?? '';
    const match = /^bearer\s+(\S+)$/i.exec(header);
    if (!match) return fail(401, 'UnauthorizedError', 'Token missing');
    const token = tokens.get(match[1] as string);
    if (!token) return fail(403, 'TokenError', 'Invalid token');
    if (token.revoked) return fail(401, 'UnauthorizedError', 'Token revoked');
    if (ttl > 0 && Date.now() > token.expiresAt) return fail(403, 'TokenError', 'Token expired');
    if (usesLimit > 0 && token.uses >= usesLimit)
      return fail(
        401,
        'UnauthorizedError',
        'Unable to renew because access token number of uses limit reached',
      );
    token.uses++;
    return undefined;
  }

  /** Resolves the project, environment and folder a request names, or the 4xx the server answers. */
  function locate(
    ref: {
      projectId?: string | null;
      projectSlug?: string | null;
      environment?: string | null;
      secretPath?: string | null;
    },
    write: boolean,
  ): { p: Project; envSlug: string; env: Map<string, Folder>; folder: Folder | undefined } | Response {
    let p: Project | undefined;
    if (ref.projectId) {
      p = projects.get(ref.projectId);
      if (!p) return fail(404, 'NotFound', `Project with ID '${ref.projectId}' not found`);
    } else if (ref.projectSlug) {
      p = [...projects.values()].find((x) => x.slug === ref.projectSlug);
      if (!p) return fail(404, 'NotFound', `Project with slug '${ref.projectSlug}' not found`);
    } else return fail(400, 'BadRequest', 'You must provide projectSlug or workspaceId');
    if (write && role === 'viewer')
      return fail(403, 'PermissionDenied', 'You are not allowed to create on secrets');
    const envSlug = ref.environment ?? '';
    const env = p.environments.get(envSlug);
    if (!env)
      return fail(404, 'NotFound', `Environment with slug '${envSlug}' in project with ID ${p.id} not found`);
    return { p, envSlug, env, folder: env.get(normalize(ref.secretPath)) };
  }
  const folderMissing = (path: string, envSlug: string) =>
    fail(
      404,
      'NotFound',
      `Folder with path '${normalize(path)}' in environment '${envSlug}' was not found. Please ensure the environment slug and secret path is correct.`,
    );

  const bodyOf = async (request: Request) => ((await request.json().catch(() => ({}))) ?? {}) as WireBody;
  const refOfQuery = (q: URLSearchParams) => ({
    projectId: q.get('workspaceId'),
    projectSlug: q.get('workspaceSlug') ?? q.get('projectSlug'),
    environment: q.get('environment'),
    secretPath: q.get('secretPath'),
  });
  /** The folder endpoints name the folder's parent `path`, not `secretPath`. */
  const folderRefOfBody = (b: WireBody) => ({
    projectId: b.workspaceId ?? b.projectId,
    environment: b.environment,
    secretPath: b.path,
  });
  const refOfBody = (b: WireBody) => ({
    projectId: b.workspaceId ?? b.projectId,
    projectSlug: b.projectSlug ?? b.workspaceSlug,
    environment: b.environment,
    secretPath: b.secretPath,
  });

  /** What every secret write starts with: authenticated, body read, folder found (or the server's answer). */
  async function writeTarget(request: Request) {
    const refused = authenticate(request);
    if (refused) return refused;
    const b = await bodyOf(request);
    const found = locate(refOfBody(b), true);
    if (found instanceof Response) return found;
    if (!found.folder) return folderMissing(b.secretPath ?? '/', found.envSlug);
    return { ...found, folder: found.folder, b };
  }

  return [
    http.post(`${base}/v1/auth/universal-auth/login`, async ({ request }) => {
      const b = await bodyOf(request);
      if (b.clientId !== clientId || b.clientSecret !== clientSecret)
        return fail(401, 'UnauthorizedError', 'Invalid credentials');
      const accessToken = `mock-token-${randomUUID()}`;
      const at = Date.now();
      tokens.set(accessToken, {
        expiresAt: at + ttl * 1000,
        sessionEndsAt: maxTtl > 0 ? at + maxTtl * 1000 : Number.POSITIVE_INFINITY,
        uses: 0,
        revoked: false,
      });
      return ok({ accessToken, expiresIn: ttl, accessTokenMaxTTL: maxTtl, tokenType: 'Bearer' });
    }),

    http.post(`${base}/v1/auth/token/renew`, async ({ request }) => {
      const b = await bodyOf(request);
      const token = tokens.get(String(b.accessToken));
      if (!token) return fail(403, 'TokenError', 'Invalid token');
      if (token.revoked) return fail(401, 'UnauthorizedError', 'No identity access token found');
      if (ttl > 0 && Date.now() > token.expiresAt) return fail(403, 'TokenError', 'Token expired');
      if (Date.now() + ttl * 1000 > token.sessionEndsAt)
        return fail(401, 'UnauthorizedError', 'Failed to renew MI access token past its Max TTL expiration');
      token.expiresAt = Date.now() + ttl * 1000;
      return ok({
        accessToken: b.accessToken,
        expiresIn: ttl,
        accessTokenMaxTTL: maxTtl,
        tokenType: 'Bearer',
      });
    }),

    http.post(`${base}/v1/auth/token/revoke`, async ({ request }) => {
      const b = await bodyOf(request);
      const token = tokens.get(String(b.accessToken));
      if (!token) return fail(403, 'TokenError', 'Invalid token');
      if (token.revoked) return fail(401, 'UnauthorizedError', 'No identity access token found');
      token.revoked = true;
      return ok({ message: 'Successfully revoked access token' });
    }),

    http.get(`${base}/v3/secrets/raw`, ({ request }) => {
      const refused = authenticate(request);
      if (refused) return refused;
      const q = new URL(request.url).searchParams;
      const found = locate(refOfQuery(q), false);
      if (found instanceof Response) return found;
      const { p, envSlug, env, folder } = found;
      if (!folder) return folderMissing(q.get('secretPath') ?? '/', envSlug);
      const recursive = q.get('recursive') === 'true';
      const folders = recursive
        ? [...env.values()].filter(
            (f) => f.path === folder.path || f.path.startsWith(folder.path === '/' ? '/' : `${folder.path}/`),
          )
        : [folder];
      const secrets = folders.flatMap((f) => [...f.secrets.values()].map((s) => view(p, envSlug, f, s)));
      return ok({ secrets, imports: [] });
    }),

    http.get(`${base}/v3/secrets/raw/:name`, ({ request, params }) => {
      const refused = authenticate(request);
      if (refused) return refused;
      const q = new URL(request.url).searchParams;
      const found = locate(refOfQuery(q), false);
      if (found instanceof Response) return found;
      const { p, envSlug, folder } = found;
      if (!folder) return folderMissing(q.get('secretPath') ?? '/', envSlug);
      const secret = folder.secrets.get(String(params.name));
      if (!secret) return fail(404, 'NotFound', `Secret with name '${String(params.name)}' not found`);
      return ok({ secret: view(p, envSlug, folder, secret) });
    }),

    ...(['post', 'patch', 'delete'] as const).map((method) =>
      http[method](`${base}/v3/secrets/raw/:name`, async ({ request, params }) => {
        const target = await writeTarget(request);
        if (target instanceof Response) return target;
        const { b, p, envSlug, folder } = target;
        const name = String(params.name);
        const existing = folder.secrets.get(name);
        if (method === 'post') {
          if (existing) return fail(400, 'BadRequest', 'Secret already exists');
          const secret = newSecret(name, String(b.secretValue ?? ''), String(b.secretComment ?? ''));
          folder.secrets.set(name, secret);
          return ok({ secret: view(p, envSlug, folder, secret) });
        }
        if (!existing) return fail(404, 'NotFound', `Secret with name ${name} not found`);
        if (method === 'delete') {
          folder.secrets.delete(name);
          return ok({ secret: view(p, envSlug, folder, existing) });
        }
        const updated = applyUpdate(existing, b);
        if (b.newSecretName && b.newSecretName !== name) {
          if (folder.secrets.has(b.newSecretName))
            return fail(400, 'BadRequest', 'Secret with the new name already exists');
          folder.secrets.delete(name);
        }
        folder.secrets.set(updated.key, updated);
        return ok({ secret: view(p, envSlug, folder, updated) });
      }),
    ),

    ...(['post', 'patch', 'delete'] as const).map((method) =>
      http[method](`${base}/v3/secrets/batch/raw`, async ({ request }) => {
        const target = await writeTarget(request);
        if (target instanceof Response) return target;
        const { b, p, envSlug, folder } = target;
        // Bodies are not validated as the server does (422): items without a key are skipped.
        const items = ((Array.isArray(b.secrets) ? b.secrets : []) as WireBody[]).filter(
          (i): i is WireBody & { secretKey: string } => typeof i.secretKey === 'string',
        );
        // All or nothing, as the server: every check runs before the first change.
        if (method === 'post') {
          const taken = items.filter((i) => folder.secrets.has(i.secretKey)).map((i) => i.secretKey);
          if (taken.length) return fail(400, 'BadRequest', `Secret already exists: ${taken.join(',')}`);
          const created = items.map((i) =>
            newSecret(i.secretKey, String(i.secretValue ?? ''), String(i.secretComment ?? '')),
          );
          for (const s of created) folder.secrets.set(s.key, s);
          return ok({ secrets: created.map((s) => view(p, envSlug, folder, s)) });
        }
        if (method === 'delete') {
          const missing = items.filter((i) => !folder.secrets.has(i.secretKey));
          if (missing.length)
            return fail(404, 'NotFound', `Secret not found: ${missing.map((i) => i.secretKey).join(',')}`);
          const deleted = items.map((i) => folder.secrets.get(i.secretKey) as StoredSecret);
          for (const s of deleted) folder.secrets.delete(s.key);
          return ok({ secrets: deleted.map((s) => view(p, envSlug, folder, s)) });
        }
        const mode = b.mode ?? 'failOnNotFound';
        const missing = items.filter((i) => !folder.secrets.has(i.secretKey));
        if (missing.length && mode === 'failOnNotFound')
          return fail(404, 'NotFound', `Secret not found: ${missing.map((i) => i.secretKey).join(',')}`);
        const written: StoredSecret[] = [];
        for (const i of items) {
          const existing = folder.secrets.get(i.secretKey);
          if (!existing && mode === 'ignore') continue;
          const next = existing
            ? applyUpdate(existing, i)
            : newSecret(i.secretKey, String(i.secretValue ?? ''), String(i.secretComment ?? ''));
          if (existing && next.key !== existing.key) folder.secrets.delete(existing.key);
          folder.secrets.set(next.key, next);
          written.push(next);
        }
        return ok({ secrets: written.map((s) => view(p, envSlug, folder, s)) });
      }),
    ),

    // The mock does not push change notices: sessions that try the stream fall back to polling.
    http.get(`${base}/v1/change-notices/stream`, () =>
      fail(404, 'NotFound', 'Route GET:/api/v1/change-notices/stream not found'),
    ),
    http.get(`${base}/v1/folders`, ({ request }) => {
      const refused = authenticate(request);
      if (refused) return refused;
      const q = new URL(request.url).searchParams;
      const found = locate(
        {
          projectId: q.get('workspaceId'),
          environment: q.get('environment'),
          secretPath: q.get('path') ?? q.get('directory'),
        },
        false,
      );
      if (found instanceof Response) return found;
      const { env, envSlug, folder } = found;
      // As the server: a path that does not exist has no folders under it.
      if (!folder) return ok({ folders: [] });
      const children = [...env.values()].filter((f) => f.path !== '/' && parentOf(f.path) === folder.path);
      return ok({ folders: children.map((f) => folderView(f, envSlug)) });
    }),

    http.post(`${base}/v1/folders`, async ({ request }) => {
      const refused = authenticate(request);
      if (refused) return refused;
      const b = await bodyOf(request);
      const found = locate(folderRefOfBody(b), true);
      if (found instanceof Response) return found;
      const { env, envSlug, folder } = found;
      if (!folder) return folderMissing(b.path ?? '/', envSlug);
      // As the server (and upstream): creating a folder that exists answers with it.
      const path = normalize(`${folder.path}/${b.name}`);
      const created = ensureFolder(env, path);
      return ok({ folder: folderView(created, envSlug) });
    }),

    http.delete(`${base}/v1/folders/:idOrName`, async ({ request, params }) => {
      const refused = authenticate(request);
      if (refused) return refused;
      const b = await bodyOf(request);
      const found = locate(folderRefOfBody(b), true);
      if (found instanceof Response) return found;
      const { env, envSlug } = found;
      const key = String(params.idOrName);
      const target = [...env.values()].find(
        (f) => f.path !== '/' && (f.id === key || (f.name === key && parentOf(f.path) === normalize(b.path))),
      );
      if (!target) return fail(404, 'NotFound', `Folder with ID '${key}' not found`);
      for (const path of [...env.keys()])
        if (path === target.path || path.startsWith(`${target.path}/`)) env.delete(path);
      return ok({ folder: folderView(target, envSlug) });
    }),
  ];

  function applyUpdate(existing: StoredSecret, b: WireBody): StoredSecret {
    return {
      ...existing,
      key: b.newSecretName ?? existing.key,
      value: b.secretValue !== undefined ? String(b.secretValue) : existing.value,
      comment: b.secretComment !== undefined ? String(b.secretComment) : existing.comment,
      version: existing.version + 1,
      updatedAt: now(),
    };
  }
}

function folderView(f: Folder, envSlug: string) {
  return { id: f.id, name: f.name, description: null, environment: envSlug, path: f.path, version: 1 };
}

/** Which requests a fault applies to, and how many times. */
export interface FaultOptions {
  /** Requests whose path contains this (e.g. `/secrets/raw`). @default every API request */
  path?: string;
  /** How many matching requests it applies to; later ones pass through. @default 1 */
  times?: number;
}

/**
 * Fault handlers to put before {@link kmsHandlers} (`server.use(...)` in a test): each applies to
 * `times` matching requests, then lets them through to the next handler.
 */
export const kmsFaults = {
  /** Answers late by `ms` (then the request continues to the handlers). */
  latency: (siteUrl: string, ms: number, options: FaultOptions = {}) =>
    fault(siteUrl, options, async () => {
      await delay(ms);
      return undefined;
    }),
  /** A 5xx with the API's envelope. */
  serverError: (siteUrl: string, options: FaultOptions & { status?: number } = {}) =>
    fault(siteUrl, options, () => fail(options.status ?? 500, 'InternalServerError', 'Something went wrong')),
  /** A 429 with `Retry-After` (seconds). */
  rateLimited: (siteUrl: string, options: FaultOptions & { retryAfterSeconds?: number } = {}) =>
    fault(siteUrl, options, () => {
      const response = fail(429, 'RateLimitExceeded', 'Rate limit exceeded. Please try again later.');
      response.headers.set('retry-after', String(options.retryAfterSeconds ?? 1));
      return response;
    }),
  /** A network error, as when the connection is reset. */
  connectionReset: (siteUrl: string, options: FaultOptions = {}) =>
    fault(siteUrl, options, () => HttpResponse.error()),
};

function fault(
  siteUrl: string,
  options: FaultOptions,
  answer: () => Response | undefined | Promise<Response | undefined>,
) {
  const base = `${siteUrl.replace(/\/+$/, '').replace(/\/api$/, '')}/api`;
  let left = options.times ?? 1;
  return http.all(`${base}/*`, async ({ request }) => {
    if (left <= 0) return undefined;
    if (options.path && !new URL(request.url).pathname.includes(options.path)) return undefined;
    left--;
    return answer();
  });
}
