// The hand-written parsers of the hot reads' queries (src/domains/secrets/query-fast-paths.ts) must
// return exactly what their zod schemas return, and leave to zod every input they do not recognise,
// every invalid one included (so its 422 stays zod's). Compared here on every single-parameter
// variation and on thousands of random combinations of plain, odd and invalid values.
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  fastGetSecretQuery,
  fastListSecretsQuery,
  fastSecretNameParams,
} from '../src/domains/secrets/query-fast-paths.js';
import { getSecretQuery, listSecretsQuery, secretNameParams } from '../src/domains/secrets/schemas.js';
import { parseQuery } from '../src/http/validate.js';
import { seededRandom } from './helpers/seeded-random.js';

const VALUES: unknown[] = [
  undefined,
  '',
  ' ',
  'true',
  'false',
  'TRUE',
  '1',
  'dev',
  ' dev ',
  'b7c1d0a4-0f6e-4a8e-9d0c-3b5b1e6f7a21',
  '/',
  '//',
  '/a/b/',
  'a/b',
  ' /a ',
  '/a//b',
  '/a/../b',
  '/a/./b',
  '/a\\b',
  '/ok\u0001',
  `/${'x'.repeat(1023)}`,
  `/${'x'.repeat(1024)}`,
  'tag1, tag2,,',
  ',',
  'shared',
  'personal',
  'other',
  '3',
  '0',
  'key=a,value=b',
  'name:x',
  'x'.repeat(500),
  ` ${'x'.repeat(500)} `,
  'x'.repeat(501),
  ['a', 'b'],
  { a: 'b' },
];
const KEYS = [
  'workspaceId',
  'workspaceSlug',
  'environment',
  'secretPath',
  'viewSecretValue',
  'expandSecretReferences',
  'recursive',
  'include_imports',
  'tagSlugs',
  'metadataFilter',
  'type',
  'version',
  'secretName',
  'unknown',
];

/** Every single-parameter variation, then random combinations. */
function* inputs(count: number): Generator<Record<string, unknown>> {
  yield {};
  for (const key of KEYS) for (const value of VALUES) yield value === undefined ? {} : { [key]: value };
  const next = seededRandom(26);
  for (let i = 0; i < count; i++) {
    const input: Record<string, unknown> = {};
    for (const key of KEYS) {
      if (next() < 0.5) continue;
      const value = VALUES[Math.floor(next() * VALUES.length)];
      if (value !== undefined) input[key] = value;
    }
    yield input;
  }
}

const cases: [string, z.ZodType, (value: unknown) => unknown, Record<string, unknown>][] = [
  [
    'list query',
    listSecretsQuery,
    fastListSecretsQuery,
    { workspaceId: 'b7c1d0a4-0f6e-4a8e-9d0c-3b5b1e6f7a21', environment: 'dev', secretPath: '/' },
  ],
  [
    'get-one query',
    getSecretQuery,
    fastGetSecretQuery,
    {
      workspaceId: 'b7c1d0a4-0f6e-4a8e-9d0c-3b5b1e6f7a21',
      environment: 'dev',
      secretPath: '/',
      type: 'shared',
    },
  ],
  ['secret name', secretNameParams, fastSecretNameParams, { secretName: 'DATABASE_URL' }],
];

describe.each(cases)('the %s fast path', (_name, schema, fast, common) => {
  it('answers the common request itself, with what the schema answers', () => {
    const answer = fast(common);
    expect(answer).not.toBeUndefined();
    expect(answer).toEqual(schema.parse(common));
  });

  it('returns what the schema returns, or leaves the input to the schema (every invalid one)', () => {
    let answered = 0;
    for (const input of inputs(20_000)) {
      // Express's query objects have no prototype: the fast path gets the same kind.
      const query = Object.assign(Object.create(null), input);
      const answer = fast(query);
      if (answer === undefined) continue;
      answered++;
      const zod = schema.safeParse(query);
      expect(zod.success, JSON.stringify(input)).toBe(true);
      expect(answer, JSON.stringify(input)).toEqual(zod.data);
    }
    // The comparison means something only if the fast path answered many of them.
    expect(answered).toBeGreaterThan(10);
  });
});

describe('parseQuery with a fast path', () => {
  it('still reports an invalid query with zod issues naming the field', () => {
    const req = { query: { workspaceId: 'p', environment: 'dev', recursive: 'yes' } };
    expect(() => parseQuery(req as never, listSecretsQuery)).toThrow(
      expect.objectContaining({
        statusCode: 422,
        issues: [
          expect.objectContaining({ path: ['query', 'recursive'], message: 'Expected "true" or "false"' }),
        ],
      }),
    );
  });
});
