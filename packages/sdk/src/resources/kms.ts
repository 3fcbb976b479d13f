/**
 * `client.kms`: project KMS keys (`/api/v1/kms/keys`). Encrypt, decrypt, sign and verify with keys
 * that never leave the KMS. Unlike kms-go and @infisical/sdk, the caller never handles base64: pass
 * text or bytes, get bytes back; the base64 wire forms stay available for callers that have them.
 *
 * Retries: encrypt, decrypt, sign and verify change no state on the server (beyond its audit entry),
 * so they are retried like reads. Creating, updating and deleting keys are writes: retried only when
 * the server cannot have acted (429, refused connection). See docs/kms-keys.md.
 *
 * @module
 */
import * as z from 'zod/mini';
import { KmsValidationError } from '../errors.js';
import { lazySchemas, nonEmptyString, parseInput } from '../input-validation.js';
import { denoInspectSymbol, nodeInspectSymbol, REDACTED } from '../redaction.js';
import type { RequestOptions } from '../transport.js';
import { pathSegment, VERBS } from './request-params.js';
import { APIResource, type ResourceContext } from './resource.js';

/** What a key is for. */
export type KmsKeyUsage = 'encrypt-decrypt' | 'sign-verify';
/** Algorithms of encryption keys: AES-GCM (rotatable), or RSA 4096 with RSA-OAEP (at most 446 bytes per call). */
export type KmsEncryptionAlgorithm = 'aes-256-gcm' | 'aes-128-gcm' | 'RSA_4096';
/** Algorithms of signing keys. */
export type KmsSigningKeyAlgorithm = 'RSA_4096' | 'ECC_NIST_P256';
/** Signing algorithms: the six RSA ones for `RSA_4096` keys, the three ECDSA ones for `ECC_NIST_P256`. */
export type KmsSigningAlgorithm =
  | 'RSASSA_PSS_SHA_256'
  | 'RSASSA_PSS_SHA_384'
  | 'RSASSA_PSS_SHA_512'
  | 'RSASSA_PKCS1_V1_5_SHA_256'
  | 'RSASSA_PKCS1_V1_5_SHA_384'
  | 'RSASSA_PKCS1_V1_5_SHA_512'
  | 'ECDSA_SHA_256'
  | 'ECDSA_SHA_384'
  | 'ECDSA_SHA_512';

/** A KMS key as the server describes it (never its material). */
export interface KmsKey {
  /** Key id (UUID). */
  id: string;
  /** Name, unique in the project (lower-case slug, 1–32 characters). */
  name: string;
  /** Free text, at most 500 characters. */
  description: string;
  /** A disabled key refuses every cryptographic operation. */
  isDisabled: boolean;
  /** Organization id. */
  orgId: string;
  /** Project id. */
  projectId: string;
  /** What the key is for. */
  keyUsage: KmsKeyUsage;
  /** Version new ciphertexts and signatures use. */
  version: number;
  /** The key's algorithm. */
  encryptionAlgorithm: KmsEncryptionAlgorithm | KmsSigningKeyAlgorithm;
  /** The same, under upstream's newer name (absent from servers that predate it). */
  algorithm?: KmsEncryptionAlgorithm | KmsSigningKeyAlgorithm;
  /** Whether export was asked for at creation; the reference server never exports material all the same. */
  isExportable?: boolean;
  /** ISO-8601 timestamp. */
  createdAt: string;
  /** ISO-8601 timestamp. */
  updatedAt: string;
}

/** One version of a key (see {@link KmsKeys.rotate}). */
export interface KmsKeyVersion {
  /** Version number, from 1. */
  version: number;
  /** When this version's material was made (ISO-8601). */
  createdAt: string;
}

/** Parameters of {@link KmsKeys.create}. */
export type CreateKmsKeyParams = {
  /** Project id. */
  projectId: string;
  /** Lower-case slug, 1–32 characters, unique in the project. */
  name: string;
  /** Free text, at most 500 characters. */
  description?: string;
  /** Asks that the key may be exported; recorded, while the reference server refuses every export. @default false */
  isExportable?: boolean;
} & (
  | {
      /** What the key is for. @default "encrypt-decrypt" */
      keyUsage?: 'encrypt-decrypt';
      /** The encryption algorithm (upstream's older name; `algorithm` is the newer one). @default "aes-256-gcm" */
      encryptionAlgorithm?: KmsEncryptionAlgorithm;
      /** The encryption algorithm under upstream's newer name; give this or `encryptionAlgorithm`. @default "aes-256-gcm" */
      algorithm?: KmsEncryptionAlgorithm;
    }
  | {
      /** A signing key. */
      keyUsage: 'sign-verify';
      /** Its key type: RSA 4096 or ECC P-256 (or give `algorithm`). */
      encryptionAlgorithm: KmsSigningKeyAlgorithm;
      /** Not with `encryptionAlgorithm` unless equal. */
      algorithm?: KmsSigningKeyAlgorithm;
    }
  | {
      /** A signing key. */
      keyUsage: 'sign-verify';
      /** Its key type under upstream's newer name: RSA 4096 or ECC P-256. */
      algorithm: KmsSigningKeyAlgorithm;
      /** Not with `algorithm` unless equal. */
      encryptionAlgorithm?: KmsSigningKeyAlgorithm;
    }
);

/** Parameters of {@link KmsKeys.list}. */
export interface ListKmsKeysParams {
  /** Project id. */
  projectId: string;
  /** Keys to skip. @default 0 */
  offset?: number;
  /** Keys per page, 1–100. @default 100 */
  limit?: number;
  /** Order by name. @default "asc" */
  orderDirection?: 'asc' | 'desc';
  /** Only keys whose name contains this text. */
  search?: string;
}

/** One page of {@link KmsKeys.list}. */
export interface KmsKeyPage {
  /** The keys of this page. */
  keys: KmsKey[];
  /** Keys matching the query in all pages. */
  totalCount: number;
}

/** Parameters of {@link KmsKeys.update}: at least one change. */
export interface UpdateKmsKeyParams {
  /** Key id. */
  keyId: string;
  /** New name. */
  name?: string;
  /** New description. */
  description?: string;
  /** Disable (or enable again) every cryptographic use of the key. */
  isDisabled?: boolean;
}

/** Bytes given as text (encoded as UTF-8) or as bytes. */
export type KmsBytes = string | Uint8Array;

/** Parameters of {@link Kms.encrypt}: `plaintext`, or `plaintextBase64` when you already hold base64. */
export type KmsEncryptParams = {
  /** Key id of an `encrypt-decrypt` key. */
  keyId: string;
} & (
  | {
      /** Text (UTF-8) or bytes, at most 4096 bytes. */
      plaintext: KmsBytes;
      /** Not with `plaintext`. */
      plaintextBase64?: never;
    }
  | {
      /** The wire form: base64 of at most 4096 bytes. */
      plaintextBase64: string;
      /** Not with `plaintextBase64`. */
      plaintext?: never;
    }
);

/** Parameters of {@link Kms.decrypt}. */
export interface KmsDecryptParams {
  /** Key id. */
  keyId: string;
  /** The opaque base64 ciphertext {@link Kms.encrypt} returned. */
  ciphertext: string;
}

/** The data of a sign or verify call: `data`, or `dataBase64` when you already hold base64. */
export type KmsSignedData =
  | {
      /** Text (UTF-8) or bytes, at most 4096 bytes. */
      data: KmsBytes;
      /** Not with `data`. */
      dataBase64?: never;
    }
  | {
      /** The wire form: base64 of at most 4096 bytes. */
      dataBase64: string;
      /** Not with `dataBase64`. */
      data?: never;
    };

/** Parameters of {@link Kms.sign}. */
export type KmsSignParams = {
  /** Key id of a `sign-verify` key. */
  keyId: string;
  /** One of the key's {@link Kms.listSigningAlgorithms}. */
  signingAlgorithm: KmsSigningAlgorithm;
  /** `data` is already a digest of the algorithm's hash (32, 48 or 64 bytes). @default false */
  isDigest?: boolean;
} & KmsSignedData;

/** Parameters of {@link Kms.verify}. */
export type KmsVerifyParams = KmsSignParams & {
  /** The signature: bytes, or its base64 as {@link Kms.sign} returned it. */
  signature: Uint8Array | string;
};

/** A signature made by {@link Kms.sign}. */
export interface KmsSignature {
  /** The signature bytes (DER for ECDSA). */
  signature: Uint8Array;
  /** The same, base64 (the wire form). */
  signatureBase64: string;
  /** Key id. */
  keyId: string;
  /** The algorithm used. */
  signingAlgorithm: KmsSigningAlgorithm;
}

/** The answer of {@link Kms.verify}. */
export interface KmsVerification {
  /** Whether the signature matches the data under the key. */
  signatureValid: boolean;
  /** Key id. */
  keyId: string;
  /** The algorithm checked. */
  signingAlgorithm: KmsSigningAlgorithm;
}

/** A signing key's public key, for verifying offline with any standard library. */
export interface KmsPublicKey {
  /** SubjectPublicKeyInfo, DER. */
  der: Uint8Array;
  /** The same, base64 (the wire form). */
  base64: string;
  /** The same, PEM (`-----BEGIN PUBLIC KEY-----`), for `crypto.createPublicKey` or `openssl`. */
  pem: string;
}

/**
 * Decrypted bytes. A `Uint8Array` like any other, except that `util.inspect`, `console.log` and
 * `JSON.stringify` print `[REDACTED]` instead of the content.
 */
export class KmsPlaintext extends Uint8Array {
  /** The bytes as UTF-8 text. */
  text(): string {
    return new TextDecoder().decode(this);
  }
  /** The bytes as base64. */
  base64(): string {
    return toBase64(this);
  }
}
// Node's and Deno's inspectors and JSON see the marker, never the bytes.
for (const symbol of [nodeInspectSymbol, denoInspectSymbol]) {
  Object.defineProperty(KmsPlaintext.prototype, symbol, {
    value(this: KmsPlaintext) {
      return `KmsPlaintext(${this.length}) ${REDACTED}`;
    },
  });
}
Object.defineProperty(KmsPlaintext.prototype, 'toJSON', {
  value() {
    return REDACTED;
  },
});

/** Largest plaintext or data the server accepts, in bytes. */
export const MAX_KMS_DATA_BYTES = 4096;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Base64 of bytes, without Node's Buffer (the core runs on edge runtimes too). */
function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function fromBase64<T extends Uint8Array = Uint8Array>(
  base64: string,
  allocate: (length: number) => T = (length) => new Uint8Array(length) as T,
): T {
  const binary = atob(base64);
  const bytes = allocate(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** The wire form of data given as text, bytes or base64; a typed error names the field. */
function wireBase64(field: string, value: KmsBytes | undefined, base64: string | undefined): string {
  if (base64 !== undefined) {
    if (typeof base64 !== 'string' || !BASE64.test(base64))
      throw new KmsValidationError(`${field}Base64`, 'must be base64');
    if ((base64.length / 4) * 3 - (base64.match(/=*$/)?.[0].length ?? 0) > MAX_KMS_DATA_BYTES)
      throw new KmsValidationError(`${field}Base64`, `must decode to at most ${MAX_KMS_DATA_BYTES} bytes`);
    return base64;
  }
  if (typeof value !== 'string' && !(value instanceof Uint8Array))
    throw new KmsValidationError(field, 'expected a string or a Uint8Array');
  const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : value;
  if (bytes.length > MAX_KMS_DATA_BYTES)
    throw new KmsValidationError(field, `must be at most ${MAX_KMS_DATA_BYTES} bytes`);
  return toBase64(bytes);
}

function signatureBase64(signature: Uint8Array | string): string {
  if (signature instanceof Uint8Array) return toBase64(signature);
  if (typeof signature !== 'string' || !BASE64.test(signature))
    throw new KmsValidationError('signature', 'expected bytes or base64');
  return signature;
}

const schemas = lazySchemas(() => {
  const keyName = () => z.string().check(z.trim(), z.regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/), z.maxLength(32));
  const signingAlgorithm = z.enum([
    'RSASSA_PSS_SHA_256',
    'RSASSA_PSS_SHA_384',
    'RSASSA_PSS_SHA_512',
    'RSASSA_PKCS1_V1_5_SHA_256',
    'RSASSA_PKCS1_V1_5_SHA_384',
    'RSASSA_PKCS1_V1_5_SHA_512',
    'ECDSA_SHA_256',
    'ECDSA_SHA_384',
    'ECDSA_SHA_512',
  ]);
  const keyRef = z.strictObject({ keyId: nonEmptyString() });
  return {
    keyRef,
    create: z.strictObject({
      projectId: nonEmptyString(),
      name: keyName(),
      description: z.optional(z.string().check(z.maxLength(500))),
      keyUsage: z.optional(z.enum(['encrypt-decrypt', 'sign-verify'])),
      encryptionAlgorithm: z.optional(z.enum(['aes-256-gcm', 'aes-128-gcm', 'RSA_4096', 'ECC_NIST_P256'])),
      algorithm: z.optional(z.enum(['aes-256-gcm', 'aes-128-gcm', 'RSA_4096', 'ECC_NIST_P256'])),
      isExportable: z.optional(z.boolean()),
    }),
    byName: z.strictObject({ projectId: nonEmptyString(), name: nonEmptyString() }),
    list: z.strictObject({
      projectId: nonEmptyString(),
      offset: z.optional(z.number().check(z.int(), z.nonnegative())),
      limit: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(100))),
      orderDirection: z.optional(z.enum(['asc', 'desc'])),
      search: z.optional(z.string()),
    }),
    update: z.strictObject({
      keyId: nonEmptyString(),
      name: z.optional(keyName()),
      description: z.optional(z.string().check(z.maxLength(500))),
      isDisabled: z.optional(z.boolean()),
    }),
    encrypt: z.object({ keyId: nonEmptyString() }),
    decrypt: z.strictObject({ keyId: nonEmptyString(), ciphertext: nonEmptyString() }),
    sign: z.object({
      keyId: nonEmptyString(),
      signingAlgorithm,
      isDigest: z.optional(z.boolean()),
    }),
  };
});

const keyPath = (keyId: string, action = '') => `/v1/kms/keys/${pathSegment('keyId', keyId)}${action}`;

/** `client.kms.keys`: create, read, list, update and delete project KMS keys. */
export class KmsKeys extends APIResource {
  /** Creates a key; its material is generated by the server and never leaves it (`POST /api/v1/kms/keys`). */
  async create(params: CreateKmsKeyParams, requestOptions?: RequestOptions): Promise<KmsKey> {
    const p = parseInput(schemas().create, params);
    return this.key('POST', '/v1/kms/keys', p, false, requestOptions);
  }

  /** A key by id (`GET /api/v1/kms/keys/:keyId`). */
  async get(params: { keyId: string }, requestOptions?: RequestOptions): Promise<KmsKey> {
    const { keyId } = parseInput(schemas().keyRef, params);
    return this.key('GET', keyPath(keyId), undefined, true, requestOptions);
  }

  /** A key by name within a project (`GET /api/v1/kms/keys/key-name/:name`). */
  async getByName(
    params: { projectId: string; name: string },
    requestOptions?: RequestOptions,
  ): Promise<KmsKey> {
    const p = parseInput(schemas().byName, params);
    return this.key(
      'GET',
      `/v1/kms/keys/key-name/${pathSegment('name', p.name)}`,
      undefined,
      true,
      requestOptions,
      { projectId: p.projectId },
    );
  }

  /** A page of a project's keys, ordered by name, with the total count (`GET /api/v1/kms/keys`). */
  async list(params: ListKmsKeysParams, requestOptions?: RequestOptions): Promise<KmsKeyPage> {
    const p = parseInput(schemas().list, params);
    const { data } = await this.context.request<{ keys: KmsKey[]; totalCount: number }>({
      operation: 'kms.keys.list',
      counted: ['keys'],
      expect: { keys: 'array' },
      method: 'GET',
      path: '/v1/kms/keys',
      query: {
        projectId: p.projectId,
        offset: p.offset === undefined ? undefined : String(p.offset),
        limit: p.limit === undefined ? undefined : String(p.limit),
        orderDirection: p.orderDirection,
        search: p.search,
      },
      idempotent: true,
      requestOptions,
    });
    return { keys: data?.keys ?? [], totalCount: data?.totalCount ?? 0 };
  }

  /** Renames, re-describes, disables or enables a key (`PATCH /api/v1/kms/keys/:keyId`). */
  async update(params: UpdateKmsKeyParams, requestOptions?: RequestOptions): Promise<KmsKey> {
    const { keyId, ...changes } = parseInput(schemas().update, params);
    if (Object.keys(changes).length === 0)
      throw new KmsValidationError('name', 'pass at least one of name, description, isDisabled');
    return this.key('PATCH', keyPath(keyId), changes, false, requestOptions);
  }

  /** Deletes a key; what it encrypted can no longer be decrypted (`DELETE /api/v1/kms/keys/:keyId`). */
  async delete(params: { keyId: string }, requestOptions?: RequestOptions): Promise<KmsKey> {
    const { keyId } = parseInput(schemas().keyRef, params);
    return this.key('DELETE', keyPath(keyId), undefined, false, requestOptions);
  }

  /**
   * Rotates a symmetric key to new material (`POST /api/v1/kms/keys/:keyId/rotate`): the returned key
   * is at its new `version`; new encryptions use it and ciphertexts of every older version still
   * decrypt. Asymmetric keys are refused (`KmsBadRequestError`). Not retried once sent.
   */
  async rotate(params: { keyId: string }, requestOptions?: RequestOptions): Promise<KmsKey> {
    const { keyId } = parseInput(schemas().keyRef, params);
    return this.key('POST', keyPath(keyId, '/rotate'), undefined, false, requestOptions);
  }

  /** The versions of a key, newest first (`GET /api/v1/kms/keys/:keyId/versions`); never material. */
  async versions(params: { keyId: string }, requestOptions?: RequestOptions): Promise<KmsKeyVersion[]> {
    const { keyId } = parseInput(schemas().keyRef, params);
    const { data } = await this.context.request<{ versions: KmsKeyVersion[] }>({
      operation: 'kms.keys.versions',
      expect: { versions: 'array' },
      method: 'GET',
      path: keyPath(keyId, '/versions'),
      idempotent: true,
      requestOptions,
    });
    return data?.versions ?? [];
  }

  private async key(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    path: string,
    body: unknown,
    idempotent: boolean,
    requestOptions: RequestOptions | undefined,
    query?: Record<string, string>,
  ): Promise<KmsKey> {
    const { data } = await this.context.request<{ key: KmsKey }>({
      operation: `kms.keys.${VERBS[method]}`,
      expect: { key: 'object' },
      method,
      path,
      ...(query ? { query } : {}),
      ...(body === undefined ? {} : { body }),
      idempotent,
      requestOptions,
    });
    return data!.key;
  }
}

/**
 * `client.kms`: cryptography with project keys, and `client.kms.keys` to manage them.
 *
 * ```ts
 * const ciphertext = await kms.kms.encrypt({ keyId, plaintext: 'a data key' });
 * const plaintext = await kms.kms.decryptString({ keyId, ciphertext });
 * const { signature } = await kms.kms.sign({ keyId: signingKeyId, data: release, signingAlgorithm: 'ECDSA_SHA_256' });
 * ```
 */
export class Kms extends APIResource {
  /** Key management. */
  readonly keys: KmsKeys;

  /** @internal */
  constructor(context: ResourceContext) {
    super(context);
    this.keys = new KmsKeys(context);
  }

  /** Encrypts up to 4096 bytes; returns the opaque base64 ciphertext to store (`POST .../encrypt`). */
  async encrypt(params: KmsEncryptParams, requestOptions?: RequestOptions): Promise<string> {
    const { keyId } = parseInput(schemas().encrypt, params);
    const plaintext = wireBase64('plaintext', params.plaintext, params.plaintextBase64);
    const { data } = await this.context.request<{ ciphertext: string }>({
      operation: 'kms.encrypt',
      expect: { ciphertext: 'string' },
      method: 'POST',
      path: keyPath(keyId, '/encrypt'),
      body: { plaintext },
      idempotent: true,
      sensitive: [plaintext],
      requestOptions,
    });
    return data!.ciphertext;
  }

  /** Decrypts a ciphertext of {@link Kms.encrypt}; the bytes print redacted (`POST .../decrypt`). */
  async decrypt(params: KmsDecryptParams, requestOptions?: RequestOptions): Promise<KmsPlaintext> {
    const p = parseInput(schemas().decrypt, params);
    const { data } = await this.context.request<{ plaintext: string }>({
      operation: 'kms.decrypt',
      expect: { plaintext: 'string' },
      method: 'POST',
      path: keyPath(p.keyId, '/decrypt'),
      body: { ciphertext: p.ciphertext },
      idempotent: true,
      requestOptions,
    });
    return fromBase64(data!.plaintext, (length) => new KmsPlaintext(length));
  }

  /** {@link Kms.decrypt}, as UTF-8 text. A string cannot be redacted: keep it out of logs yourself. */
  async decryptString(params: KmsDecryptParams, requestOptions?: RequestOptions): Promise<string> {
    return (await this.decrypt(params, requestOptions)).text();
  }

  /** Signs up to 4096 bytes (or a digest with `isDigest`) with a `sign-verify` key (`POST .../sign`). */
  async sign(params: KmsSignParams, requestOptions?: RequestOptions): Promise<KmsSignature> {
    const p = parseInput(schemas().sign, params);
    const data = wireBase64('data', params.data, params.dataBase64);
    const { data: res } = await this.context.request<{
      signature: string;
      keyId: string;
      signingAlgorithm: KmsSigningAlgorithm;
    }>({
      operation: 'kms.sign',
      expect: { signature: 'string' },
      method: 'POST',
      path: keyPath(p.keyId, '/sign'),
      body: { signingAlgorithm: p.signingAlgorithm, isDigest: p.isDigest ?? false, data },
      idempotent: true,
      sensitive: [data],
      requestOptions,
    });
    return {
      signature: fromBase64(res!.signature),
      signatureBase64: res!.signature,
      keyId: res!.keyId,
      signingAlgorithm: res!.signingAlgorithm,
    };
  }

  /** Checks a signature with the key on the server (`POST .../verify`); see {@link Kms.getPublicKey} to verify offline. */
  async verify(params: KmsVerifyParams, requestOptions?: RequestOptions): Promise<KmsVerification> {
    const p = parseInput(schemas().sign, params);
    const data = wireBase64('data', params.data, params.dataBase64);
    const { data: res } = await this.context.request<KmsVerification>({
      operation: 'kms.verify',
      expect: { signatureValid: 'boolean' },
      method: 'POST',
      path: keyPath(p.keyId, '/verify'),
      body: {
        signingAlgorithm: p.signingAlgorithm,
        isDigest: p.isDigest ?? false,
        data,
        signature: signatureBase64(params.signature),
      },
      idempotent: true,
      sensitive: [data],
      requestOptions,
    });
    return res!;
  }

  /** The public key of a `sign-verify` key, as DER, base64 and PEM (`GET .../public-key`). */
  async getPublicKey(params: { keyId: string }, requestOptions?: RequestOptions): Promise<KmsPublicKey> {
    const { keyId } = parseInput(schemas().keyRef, params);
    const { data } = await this.context.request<{ publicKey: string }>({
      operation: 'kms.keys.publicKey',
      expect: { publicKey: 'string' },
      method: 'GET',
      path: keyPath(keyId, '/public-key'),
      idempotent: true,
      requestOptions,
    });
    const base64 = data!.publicKey;
    const lines = base64.match(/.{1,64}/g) ?? [];
    return {
      der: fromBase64(base64),
      base64,
      pem: `-----BEGIN PUBLIC KEY-----\n${lines.join('\n')}\n-----END PUBLIC KEY-----\n`,
    };
  }

  /** The signing algorithms a `sign-verify` key supports (`GET .../signing-algorithms`). */
  async listSigningAlgorithms(
    params: { keyId: string },
    requestOptions?: RequestOptions,
  ): Promise<KmsSigningAlgorithm[]> {
    const { keyId } = parseInput(schemas().keyRef, params);
    const { data } = await this.context.request<{ signingAlgorithms: KmsSigningAlgorithm[] }>({
      operation: 'kms.keys.signingAlgorithms',
      expect: { signingAlgorithms: 'array' },
      method: 'GET',
      path: keyPath(keyId, '/signing-algorithms'),
      idempotent: true,
      requestOptions,
    });
    return data!.signingAlgorithms;
  }
}
