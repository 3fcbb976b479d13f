import { inspect } from 'node:util';
import { HttpResponse, http } from 'msw';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { apiBaseUrl } from '../src/client-options.js';
import { closestName } from '../src/internal.js';
import {
  KmsClient,
  KmsConfigError,
  KmsEnvConflictError,
  KmsValidationError,
  mergeIntoEnv,
  universalAuthStrategy,
} from '../src/index.js';
import { API, CLIENT_SECRET, FakeAuth, mswServer, SECRET_VALUE, SITE, secretJson } from './fault-server.js';

let auth: FakeAuth;
beforeAll(() => mswServer.listen({ onUnhandledRequest: 'error' }));
afterAll(() => mswServer.close());
beforeEach(() => {
  auth = new FakeAuth();
  mswServer.use(...auth.handlers());
});
afterEach(() => mswServer.resetHandlers());

function configError(options: unknown): KmsConfigError {
  try {
    new KmsClient(options as never);
  } catch (error) {
    expect(error).toBeInstanceOf(KmsConfigError);
    return error as KmsConfigError;
  }
  throw new Error('expected a KmsConfigError');
}

describe('client options', () => {
  it('appends /api to the site URL like kms-go', () => {
    expect(apiBaseUrl('https://kms.example.com')).toBe('https://kms.example.com/api');
    expect(apiBaseUrl('https://kms.example.com/')).toBe('https://kms.example.com/api');
    expect(apiBaseUrl('https://kms.example.com/api/')).toBe('https://kms.example.com/api');
    expect(new KmsClient({ siteUrl: 'http://h:8080/kms' }).baseUrl).toBe('http://h:8080/kms/api');
  });

  it.each([
    [{}, 'siteUrl'],
    [{ siteUrl: 'not a url' }, 'siteUrl'],
    [{ siteUrl: 'ftp://x' }, 'siteUrl'],
    [{ siteUrl: SITE, tiemout: 5 }, 'tiemout'],
    [{ siteUrl: SITE, timeout: -1 }, 'timeout'],
    [{ siteUrl: SITE, cache: { ttl: 0 } }, 'cache.ttl'],
    [{ siteUrl: SITE, cache: { ttl: 10, maxx: 1 } }, 'cache.maxx'],
    [{ siteUrl: SITE, retry: { maxRetries: 1.5 } }, 'retry.maxRetries'],
    [{ siteUrl: SITE, auth: { universalAuth: { clientId: 'x' } } }, 'auth.universalAuth.clientSecret'],
    [
      { siteUrl: SITE, auth: { universalAuth: { clientId: '', clientSecret: 's' } } },
      'auth.universalAuth.clientId',
    ],
    [{ siteUrl: SITE, headers: { Authorization: 'Bearer x' } }, 'headers.Authorization'],
  ])('rejects %j naming %s', (options, field) => {
    expect(configError(options).field).toBe(field);
  });

  it('an unknown option names the option it was probably meant to be', () => {
    expect(configError({ siteUrl: SITE, tiemout: 5 }).message).toBe(
      'Invalid tiemout: unknown option (did you mean timeout?)',
    );
    expect(configError({ siteUrl: SITE, retry: { maxRetrys: 1 } }).message).toContain(
      '(did you mean maxRetries?)',
    );
    expect(configError({ siteUrl: SITE, zzz: 1 }).message).toBe('Invalid zzz: unknown option');
  });

  it.each([
    ['enviroment', ['environment', 'secretPath'], 'environment'],
    ['enviroment', ['env', 'path'], 'env'],
    ['SECRETPATH', ['secretPath'], 'secretPath'],
    ['wath', ['watch', 'quiet'], 'watch'],
    ['dve', ['dev', 'staging', 'prod'], 'dev'],
    ['pord', ['dev', 'staging', 'prod'], 'prod'],
    ['qa', ['dev', 'staging', 'prod'], undefined],
    ['x', ['y', 'z'], undefined],
    ['banana', ['environment', 'secretPath'], undefined],
  ])('closestName(%j) among %j is %j', (input, candidates, expected) => {
    expect(closestName(input, candidates)).toBe(expected);
  });

  it('never echoes an option value in the error', () => {
    const err = configError({
      siteUrl: SITE,
      auth: { universalAuth: { clientId: 1, clientSecret: CLIENT_SECRET, x: 1 } },
    });
    expect(err.message).not.toContain(CLIENT_SECRET);
  });

  it('method parameters are validated and name the field', async () => {
    const kms = new KmsClient({ siteUrl: SITE, auth: { accessToken: 'tok-123456' } });
    await expect(kms.secrets.list({ environment: 'dev' })).rejects.toMatchObject({ field: 'projectId' });
    await expect(kms.secrets.list({ projectId: 'p', environment: '' })).rejects.toMatchObject({
      field: 'environment',
    });
    await expect(
      kms.secrets.list({ projectId: 'p', environment: 'dev', secretPath: 'app' }),
    ).rejects.toMatchObject({
      field: 'secretPath',
    });
    await expect(
      kms.secrets.retrieve({ projectId: 'p', environment: 'dev', secretName: '..' }),
    ).rejects.toBeInstanceOf(KmsValidationError);
    await expect(
      kms.secrets.batch.create({
        projectId: 'p',
        environment: 'dev',
        secrets: [{ secretKey: '', secretValue: 'v' }],
      }),
    ).rejects.toMatchObject({ field: 'secrets.0.secretKey' });
    await expect(
      kms.folders.create({ projectId: 'p', environment: 'dev', name: 'bad name' }),
    ).rejects.toMatchObject({ field: 'name' });
  });
});

describe('nothing prints a secret, a client secret or a token', () => {
  it('client, secrets, strategy and errors are redacted in inspect and JSON', async () => {
    mswServer.use(
      http.get(`${API}/v3/secrets/raw`, () =>
        HttpResponse.json({
          secrets: [
            secretJson('DB_PASS', SECRET_VALUE, {
              secretMetadata: [{ key: 'k', value: SECRET_VALUE, isEncrypted: true }],
            }),
          ],
          imports: [],
        }),
      ),
      http.get(`${API}/v3/secrets/raw/MISSING`, () =>
        HttpResponse.json(
          { statusCode: 404, error: 'NotFound', message: `Secret with name 'MISSING' not found`, reqId: 'r' },
          { status: 404 },
        ),
      ),
    );
    const kms = new KmsClient({
      siteUrl: SITE,
      auth: { universalAuth: { clientId: 'client-id', clientSecret: CLIENT_SECRET } },
    });
    const { secrets } = await kms.secrets.list({ projectId: 'proj-1', environment: 'dev' });
    const secret = secrets[0]!;
    expect(secret.secretValue).toBe(SECRET_VALUE);
    const err = await kms.secrets
      .retrieve({ projectId: 'proj-1', environment: 'dev', secretName: 'MISSING' })
      .catch((e) => e);
    const token = auth.current;
    const outputs = [
      inspect(kms, { depth: 10, showHidden: true }),
      JSON.stringify(kms),
      inspect(secret, { depth: 10 }),
      inspect(secrets, { depth: 10 }),
      JSON.stringify(secrets),
      `${secret}`,
      inspect(err, { depth: 10, showHidden: true }),
      JSON.stringify(err),
      String(err),
      inspect(universalAuthStrategy({ clientId: 'a', clientSecret: CLIENT_SECRET }), { showHidden: true }),
      JSON.stringify(universalAuthStrategy({ clientId: 'a', clientSecret: CLIENT_SECRET })),
      inspect(kms.auth, { depth: 10, showHidden: true }),
      inspect(kms.secrets, { depth: 10, showHidden: true }),
    ];
    for (const out of outputs) {
      expect(out).not.toContain(SECRET_VALUE);
      expect(out).not.toContain(CLIENT_SECRET);
      expect(out).not.toContain(token);
    }
    expect(inspect(secret)).toContain('[REDACTED]');
    expect(JSON.parse(JSON.stringify(secret)).secretKey).toBe('DB_PASS');
    await kms.close();
  });

  it('a login failure does not echo the client secret even if the server does', async () => {
    mswServer.use(
      http.post(`${API}/v1/auth/universal-auth/login`, () =>
        HttpResponse.json(
          { statusCode: 401, error: 'UnauthorizedError', message: `Invalid credentials ${CLIENT_SECRET}` },
          { status: 401 },
        ),
      ),
    );
    const kms = new KmsClient({
      siteUrl: SITE,
      auth: { universalAuth: { clientId: 'id', clientSecret: CLIENT_SECRET } },
    });
    const err = await kms.secrets.list({ projectId: 'p', environment: 'dev' }).catch((e) => e);
    expect(err.status).toBe(401);
    expect(err.message).not.toContain(CLIENT_SECRET);
    expect(inspect(err, { showHidden: true, depth: 10 })).not.toContain(CLIENT_SECRET);
  });
});

describe('mergeIntoEnv (the one merge of the family)', () => {
  const secrets = { A: 'kms-a', B: 'kms-b', C: 'same', D: 'kms-d' };
  it('preserve keeps other values, fills unset and empty variables, reports by key', () => {
    const env: Record<string, string | undefined> = { A: 'local', C: 'same', D: '' };
    expect(mergeIntoEnv(env, secrets, 'preserve')).toEqual({
      loaded: ['B', 'C', 'D'],
      skipped: ['A'],
      conflicts: ['A'],
    });
    expect(env).toEqual({ A: 'local', B: 'kms-b', C: 'same', D: 'kms-d' });
  });
  it('override replaces, error refuses and writes nothing; the error names keys, never values', () => {
    const env: Record<string, string | undefined> = { A: 'local' };
    expect(mergeIntoEnv({ ...env }, secrets, 'override').loaded).toEqual(['A', 'B', 'C', 'D']);
    const error = (() => {
      try {
        mergeIntoEnv(env, secrets, 'error');
      } catch (e) {
        return e as KmsEnvConflictError;
      }
    })();
    expect(error).toBeInstanceOf(KmsEnvConflictError);
    expect(error?.keys).toEqual(['A']);
    expect(error?.message).toBe('refusing to load: variable A already set to a different value');
    expect(env).toEqual({ A: 'local' });
  });
});
