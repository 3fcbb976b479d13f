// The fast paths of option and parameter checking (input-validation.ts) must never accept what the
// zod schema refuses, nor return something else than the schema would: random inputs drawn from
// valid and invalid values of every field, checked both ways.
import { describe, expect, it } from 'vitest';
import { isCommonClientOptions, optionsSchema } from '../src/client-options.js';
import { isCommonListParams, listParamsSchema } from '../src/resources/secrets.js';

/** A small seeded generator (mulberry32), so a failure can be replayed. */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(next: () => number, values: readonly T[]): T => values[Math.floor(next() * values.length)]!;
const fn = () => 'jwt';

const clientPools: Record<string, unknown[]> = {
  siteUrl: [
    'http://127.0.0.1:8080',
    'https://kms.example.com',
    'https://kms.example.com/api',
    'https://kms.example.com/',
    'http://localhost',
    'ftp://kms.example.com',
    'kms.example.com',
    ' https://kms.example.com',
    'https://user:pw@kms.example.com',
    'https://kms.example.com:99999',
    'https://kms.example.com:65535',
    'https://.example.com',
    'https://a..b',
    'https://-x.com/',
    'http://256.1.1.1',
    'http://1.2.3',
    'https://kms.example.com/a b',
    '',
    42,
  ],
  auth: [
    { universalAuth: { clientId: 'id', clientSecret: 'secret' } },
    { universalAuth: { clientId: ' id', clientSecret: 'secret' } },
    { universalAuth: { clientId: 'id', clientSecret: '' } },
    { universalAuth: { clientId: 'id' } },
    { universalAuth: { clientId: 'id', clientSecret: 'secret', extra: 1 } },
    { oidc: { identityId: 'i', jwt: 'token' } },
    { jwt: { identityId: 'i', jwt: fn } },
    { oidc: { identityId: 'i', jwt: 5 } },
    { accessToken: 'tok' },
    { accessToken: 'tok', universalAuth: { clientId: 'id', clientSecret: 's' } },
    {},
    null,
  ],
  cache: [
    false,
    { ttl: 1 },
    { revalidate: true, max: 4 },
    { ttl: 0 },
    { ttl: 1.5 },
    { staleIfError: 'yes' },
    true,
  ],
  retry: [false, { maxRetries: 2, initialDelay: 250, maxDelay: 2000 }, { maxRetries: -1 }, { backoff: 2 }, 3],
  timeout: [1, 10_000, 0, -5, 2.5, '10'],
  deadline: [1, 10_000, 0, Number.NaN],
  fetch: [fetch, fn, 'fetch'],
  tracing: [true, false, 'no'],
  userAgent: ['app/1', '', ' app'],
  headers: [{ 'x-a': 'b' }],
  bogus: [1],
};

const listPools: Record<string, unknown[]> = {
  projectId: ['p-1', ' p', '', 7],
  projectSlug: ['api', 'api ', ''],
  environment: ['dev', ' dev', '', undefined, 3],
  secretPath: ['/', '/app', '/app/', '//', 'app', ' /app', '/a/b', '', 4],
  recursive: [true, false, 'true'],
  includeImports: [true, false, 1],
  expandSecretReferences: [true, false, null],
  viewSecretValue: [true, false],
  attachToProcessEnv: [false],
  overrideEnv: [true],
  tagSlugs: [['a']],
  secretName: ['X'],
};

function draw(
  next: () => number,
  pools: Record<string, unknown[]>,
  required: string[],
): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const [key, values] of Object.entries(pools)) {
    if (required.includes(key) ? next() < 0.95 : next() < 0.4) input[key] = pick(next, values);
  }
  return input;
}

function check(
  fast: (input: unknown) => boolean,
  schema: { safeParse(input: unknown): { success: boolean; data?: unknown } },
  pools: Record<string, unknown[]>,
  required: string[],
) {
  const next = random(20261129);
  let accepted = 0;
  for (let i = 0; i < 20_000; i++) {
    const input = draw(next, pools, required);
    if (!fast(input)) continue;
    accepted++;
    const result = schema.safeParse(input);
    expect(result.success, JSON.stringify(input)).toBe(true);
    expect(result.data, JSON.stringify(input)).toEqual(input);
  }
  // The fast path must be exercised, not vacuous.
  expect(accepted).toBeGreaterThan(100);
}

describe('fast paths agree with the schemas', () => {
  it('client options', () => {
    check(isCommonClientOptions, optionsSchema(), clientPools, ['siteUrl', 'auth']);
  });
  it('secrets.list parameters', () => {
    check(isCommonListParams, listParamsSchema(), listPools, ['projectSlug', 'environment']);
  });
  it('the shapes kms-node passes take the fast path', () => {
    expect(
      isCommonClientOptions({
        siteUrl: 'http://127.0.0.1:8080',
        auth: { universalAuth: { clientId: 'id', clientSecret: 'secret' } },
        fetch,
        timeout: 10_000,
        deadline: 10_000,
        retry: { maxRetries: 2, initialDelay: 250, maxDelay: 2000 },
        cache: { revalidate: true, max: 4 },
      }),
    ).toBe(true);
    expect(
      isCommonListParams({
        projectSlug: 'api',
        environment: 'prod',
        secretPath: '/',
        recursive: false,
        includeImports: true,
        expandSecretReferences: true,
      }),
    ).toBe(true);
  });
});
