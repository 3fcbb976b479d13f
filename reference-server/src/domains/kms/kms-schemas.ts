/**
 * The request schemas of the KMS keys API (docs/reference/kms-keys.md): what the router validates
 * before a service runs, and what the OpenAPI document describes. No behaviour beyond parsing.
 */
import { z } from 'zod';
import { slugSchema, uuidSchema } from '../../shared/schemas.js';
import { withFastPath } from '../../http/validate.js';
import {
  BASE64,
  base64MaxLength,
  fastDecryptBody,
  fastEncryptBody,
  fastKeyParams,
  fastSignBody,
  fastVerifyBody,
  MAX_KMS_CIPHERTEXT_BYTES,
  MAX_KMS_DATA_BYTES,
  MAX_KMS_SIGNATURE_BYTES,
} from './kms-fast-paths.js';
import {
  ALGORITHMS_BY_USAGE,
  ENCRYPTION_ALGORITHMS,
  fitsUsage,
  SIGNING_ALGORITHMS,
  SIGNING_KEY_ALGORITHMS,
} from './key-crypto.js';

/** A base64 field decoded to bytes; the contract words the failure the same for every field. */
const base64Field = (maxBytes: number) =>
  z
    .string()
    // Upstream's words for every field (v1/cmek-router.ts base64Schema); the path names the field.
    .max(base64MaxLength(maxBytes), `data cannot exceed ${maxBytes} bytes`)
    .refine((s) => BASE64.test(s), 'plaintext must be base64 encoded')
    .transform((s) => Buffer.from(s, 'base64'))
    .refine((b) => b.length <= maxBytes, `data cannot exceed ${maxBytes} bytes`);

const algorithm = z.enum([...ENCRYPTION_ALGORITHMS, ...SIGNING_KEY_ALGORITHMS]);

/** `POST /keys`. */
export const createBody = z
  .object({
    projectId: z.string().trim().min(1),
    name: slugSchema(1, 32),
    description: z.string().trim().max(500).optional(),
    keyUsage: z.enum(['encrypt-decrypt', 'sign-verify']).default('encrypt-decrypt'),
    // Upstream's newer body names it `algorithm`; the older `encryptionAlgorithm` stays accepted.
    algorithm: algorithm.optional(),
    encryptionAlgorithm: algorithm.optional(),
    isExportable: z.boolean().default(false),
  })
  .refine((b) => !b.algorithm || !b.encryptionAlgorithm || b.algorithm === b.encryptionAlgorithm, {
    message: 'algorithm and encryptionAlgorithm name different algorithms; send one of them',
    path: ['algorithm'],
  })
  .transform(({ algorithm: named, encryptionAlgorithm, ...rest }) => ({
    ...rest,
    encryptionAlgorithm: named ?? encryptionAlgorithm ?? 'aes-256-gcm',
  }))
  .refine((b) => fitsUsage(b.encryptionAlgorithm, b.keyUsage), {
    message: `algorithm does not fit keyUsage: encrypt-decrypt takes ${ALGORITHMS_BY_USAGE['encrypt-decrypt'].join(', ')}; sign-verify takes ${ALGORITHMS_BY_USAGE['sign-verify'].join(', ')}`,
    path: ['algorithm'],
  });

/** `PATCH /keys/:keyId`. */
export const updateBody = z.object({
  name: slugSchema(1, 32).optional(),
  description: z.string().trim().max(500).optional(),
  isDisabled: z.boolean().optional(),
});

/** `GET /keys`. */
export const listQuery = z.object({
  projectId: z.string().trim().min(1),
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(100).default(100),
  orderBy: z.literal('name').default('name'),
  orderDirection: z.enum(['asc', 'desc']).default('asc'),
  search: z.string().trim().max(256).optional(),
});

// The key operations' parameter and bodies are parsed by hand when valid (kms-fast-paths.ts).
export const keyParams = withFastPath(z.object({ keyId: uuidSchema }), fastKeyParams);
export const keyNameParams = z.object({ keyName: z.string().trim().min(1).max(64) });
export const keyNameQuery = z.object({ projectId: z.string().trim().min(1) });
export const encryptBody = withFastPath(
  z.object({ plaintext: base64Field(MAX_KMS_DATA_BYTES) }),
  fastEncryptBody,
);
// A blob is the data plus a small header; anything much longer cannot be one of ours.
export const decryptBody = withFastPath(
  z.object({ ciphertext: base64Field(MAX_KMS_CIPHERTEXT_BYTES) }),
  fastDecryptBody,
);
const signingAlgorithm = z.enum(SIGNING_ALGORITHMS);
const signFields = z.object({
  signingAlgorithm,
  isDigest: z.boolean().default(false),
  data: base64Field(MAX_KMS_DATA_BYTES),
});
export const signBody = withFastPath(signFields, fastSignBody);
export const verifyBody = withFastPath(
  signFields.extend({ signature: base64Field(MAX_KMS_SIGNATURE_BYTES) }),
  fastVerifyBody,
);

export type CreateKeyInput = z.output<typeof createBody>;
export type UpdateKeyInput = z.output<typeof updateBody>;
export type ListKeysInput = z.output<typeof listQuery>;
export type SignInput = z.output<typeof signBody>;
export type VerifyInput = z.output<typeof verifyBody>;

export { MAX_KMS_DATA_BYTES };
