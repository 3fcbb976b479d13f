// The hand-written parsers of the KMS key operations (src/domains/kms/kms-fast-paths.ts) must return
// exactly what their zod schemas return, and leave to zod every input they do not recognise, every
// invalid one included (so its 422 stays zod's). Compared on every single-field variation and on
// thousands of random combinations of valid, odd and invalid values.
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  fastDecryptBody,
  fastEncryptBody,
  fastKeyParams,
  fastSignBody,
  fastVerifyBody,
} from '../src/domains/kms/kms-fast-paths.js';
import { decryptBody, encryptBody, keyParams, signBody, verifyBody } from '../src/domains/kms/kms-schemas.js';
import { parseBody } from '../src/http/validate.js';
import { seededRandom } from './helpers/seeded-random.js';

const b64 = (bytes: number) => Buffer.alloc(bytes, 7).toString('base64');
const VALUES: unknown[] = [
  undefined,
  null,
  '',
  'YQ==',
  'YQ',
  'YQ=',
  'Y===',
  'YWJj',
  'YW Jj',
  'YWJj\n',
  '-_8=',
  b64(1024),
  b64(4096),
  b64(4097),
  b64(4160),
  b64(4161),
  `${b64(4096)}AAAA`,
  b64(1025),
  b64(3),
  true,
  false,
  0,
  'true',
  ['YQ=='],
  { a: 1 },
  'ECDSA_SHA_256',
  'RSASSA_PSS_SHA_512',
  'RSASSA_PKCS1_V1_5_SHA_256',
  'ecdsa_sha_256',
  'b7c1d0a4-0f6e-4a8e-9d0c-3b5b1e6f7a21',
  'B7C1D0A4-0F6E-4A8E-9D0C-3B5B1E6F7A21',
  'b7c1d0a4-0f6e-0a8e-9d0c-3b5b1e6f7a21',
  'b7c1d0a4-0f6e-4a8e-9d0c-3b5b1e6f7a2',
  ' b7c1d0a4-0f6e-4a8e-9d0c-3b5b1e6f7a21',
  '00000000-0000-0000-0000-000000000000',
];
const KEYS = [
  'plaintext',
  'ciphertext',
  'data',
  'signature',
  'signingAlgorithm',
  'isDigest',
  'keyId',
  'other',
];

/** Non-objects, every single-field variation, then random combinations. */
function* inputs(count: number, keys: readonly string[]): Generator<unknown> {
  yield* [undefined, null, 'YQ==', [], [{ plaintext: 'YQ==' }], {}];
  for (const key of KEYS) for (const value of VALUES) yield value === undefined ? {} : { [key]: value };
  const next = seededRandom(26);
  for (let i = 0; i < count; i++) {
    const input: Record<string, unknown> = {};
    // Mostly the schema's own fields, so the valid combinations are many.
    for (const key of next() < 0.8 ? keys : KEYS) {
      if (next() < 0.2) continue;
      const value = VALUES[Math.floor(next() * VALUES.length)];
      if (value !== undefined) input[key] = value;
    }
    yield input;
  }
}

const sig = { signingAlgorithm: 'ECDSA_SHA_256', data: 'YWJj' };
const cases: [string, z.ZodType, (value: unknown) => unknown, readonly string[], unknown][] = [
  ['key parameter', keyParams, fastKeyParams, ['keyId'], { keyId: 'b7c1d0a4-0f6e-4a8e-9d0c-3b5b1e6f7a21' }],
  ['encrypt body', encryptBody, fastEncryptBody, ['plaintext'], { plaintext: b64(1024) }],
  ['decrypt body', decryptBody, fastDecryptBody, ['ciphertext'], { ciphertext: b64(1100) }],
  ['sign body', signBody, fastSignBody, ['signingAlgorithm', 'isDigest', 'data'], sig],
  [
    'verify body',
    verifyBody,
    fastVerifyBody,
    ['signingAlgorithm', 'isDigest', 'data', 'signature'],
    { ...sig, isDigest: false, signature: b64(64) },
  ],
];

describe.each(cases)('the %s fast path', (_name, schema, fast, keys, common) => {
  it('answers the common request itself, with what the schema answers', () => {
    const answer = fast(common);
    expect(answer).not.toBeUndefined();
    expect(answer).toEqual(schema.parse(common));
  });

  it('returns what the schema returns, or leaves the input to the schema (every invalid one)', () => {
    let answered = 0;
    for (const input of inputs(20_000, keys)) {
      const answer = fast(input);
      if (answer === undefined) continue;
      answered++;
      const zod = schema.safeParse(input);
      expect(zod.success, JSON.stringify(input)?.slice(0, 300)).toBe(true);
      expect(answer, JSON.stringify(input)?.slice(0, 300)).toEqual(zod.data);
    }
    // The comparison means something only if the fast path answered many of them.
    expect(answered).toBeGreaterThan(10);
  });
});

describe('parseBody with a fast path', () => {
  it('still reports an invalid body with zod issues naming the field', () => {
    const req = { body: { plaintext: 'not base64!' } };
    expect(() => parseBody(req as never, encryptBody)).toThrow(
      expect.objectContaining({
        statusCode: 422,
        issues: [
          expect.objectContaining({
            path: ['body', 'plaintext'],
            message: 'plaintext must be base64 encoded',
          }),
        ],
      }),
    );
  });
});
