import { randomUUID } from 'node:crypto';
import { type Request, Router } from 'express';
import { z } from 'zod';
import { type ProjectAccess, type ProjectAction, projectAccess } from '../../auth/permissions.js';
import { requireAuth } from '../../auth/require-auth.js';
import type { ServerContext } from '../../context.js';
import { audit, authOf } from '../../context.js';
import { ApiError, badRequest, forbidden, notFound } from '../../http/errors.js';
import { parseBody, parseParams, parseQuery } from '../../http/validate.js';
import type { KmsKeyAlgorithm, KmsKeyRecord } from '../../store/records.js';
import { StoreConflictError } from '../../store/repositories.js';
import { slugSchema, uuidSchema } from '../../shared/schemas.js';
import {
  ALGORITHMS_BY_USAGE,
  blobVersion,
  DigestLengthError,
  decryptBlob,
  decryptRsaBlob,
  ENCRYPTION_ALGORITHMS,
  encryptBlob,
  encryptRsaBlob,
  fitsUsage,
  generateMaterial,
  MAX_RSA_PLAINTEXT_BYTES,
  openMaterial,
  SIGNING_ALGORITHMS,
  SIGNING_KEY_ALGORITHMS,
  type SigningAlgorithm,
  sealMaterial,
  signingAlgorithmsOf,
  signWith,
  verifyWith,
} from './key-crypto.js';
import { routeDocs } from '../../openapi/route-doc.js';
import { listKeyVersions, rotateKey } from './key-versions.js';

/** Largest plaintext or data accepted, in bytes once decoded (the contract's limit). */
export const MAX_KMS_DATA_BYTES = 4096;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A base64 field decoded to bytes; the contract words the failure the same for every field. */
const base64Field = (field: string, maxBytes: number) =>
  z
    .string()
    .max(Math.ceil((maxBytes * 4) / 3) + 4, `${field} cannot exceed ${maxBytes} bytes`)
    .refine((s) => BASE64.test(s), 'plaintext must be base64 encoded')
    .transform((s) => Buffer.from(s, 'base64'))
    .refine((b) => b.length <= maxBytes, `${field} cannot exceed ${maxBytes} bytes`);

const algorithm = z.enum([...ENCRYPTION_ALGORITHMS, ...SIGNING_KEY_ALGORITHMS]);
const createBody = z
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
const updateBody = z.object({
  name: slugSchema(1, 32).optional(),
  description: z.string().trim().max(500).optional(),
  isDisabled: z.boolean().optional(),
});
const listQuery = z.object({
  projectId: z.string().trim().min(1),
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(100).default(100),
  orderBy: z.literal('name').default('name'),
  orderDirection: z.enum(['asc', 'desc']).default('asc'),
  search: z.string().trim().max(256).optional(),
});
const keyParams = z.object({ keyId: uuidSchema });
const keyNameParams = z.object({ keyName: z.string().trim().min(1).max(64) });
const keyNameQuery = z.object({ projectId: z.string().trim().min(1) });
const encryptBody = z.object({ plaintext: base64Field('plaintext', MAX_KMS_DATA_BYTES) });
// A blob is the data plus a small header; anything much longer cannot be one of ours.
const decryptBody = z.object({ ciphertext: base64Field('ciphertext', MAX_KMS_DATA_BYTES + 64) });
const signingAlgorithm = z.enum(SIGNING_ALGORITHMS);
const signBody = z.object({
  signingAlgorithm,
  isDigest: z.boolean().default(false),
  data: base64Field('data', MAX_KMS_DATA_BYTES),
});
const verifyBody = signBody.extend({ signature: base64Field('signature', 1024) });

/** The key as the API returns it (upstream's key object). */
function keyView(k: KmsKeyRecord) {
  return {
    id: k.id,
    name: k.name,
    description: k.description,
    isDisabled: k.isDisabled,
    orgId: k.orgId,
    projectId: k.projectId,
    keyUsage: k.keyUsage,
    version: k.version,
    encryptionAlgorithm: k.encryptionAlgorithm,
    algorithm: k.encryptionAlgorithm,
    isExportable: k.isExportable,
    createdAt: k.createdAt,
    updatedAt: k.updatedAt,
  };
}

const cryptographyError = (message: string) => new ApiError(400, 'CryptographyError', message);

/** Where {@link kmsRouter} is mounted; its routes are relative to it. */
export const KMS_PREFIX = '/api/v1/kms';

/**
 * Project KMS keys: `/api/v1/kms/keys` (docs/reference/kms-keys.md). Mounted at
 * {@link KMS_PREFIX} so other requests skip it with one prefix test.
 */
export function kmsRouter(ctx: ServerContext): Router {
  const router = Router();
  const keys = ctx.store.kmsKeys;
  router.use(requireAuth(ctx));

  /** The key named by `:keyId`, if the caller may do `action` with it in its project. */
  async function keyFor(req: Request, action: ProjectAction) {
    const { keyId } = parseParams(req, keyParams);
    const caller = authOf(req);
    const key = await keys.getKey(keyId);
    if (!key || key.orgId !== caller.orgId) throw notFound(`Key with ID "${keyId}" not found`);
    const access = await projectAccess(ctx, caller, key.projectId);
    access.assert(action, 'kms-keys');
    return { key, access };
  }

  /** Keys used for cryptography must be enabled and of the right usage. */
  function assertUsable(key: KmsKeyRecord, usage: KmsKeyRecord['keyUsage']) {
    if (key.isDisabled) throw badRequest('Key is disabled');
    if (key.keyUsage !== usage)
      throw badRequest(
        `Key with ID '${key.id}' is not intended for ${usage === 'sign-verify' ? 'signing' : 'encryption'}`,
      );
  }

  /** The material of one version of a key, opened with the project's data key. */
  async function material(access: ProjectAccess, key: KmsKeyRecord, version: number) {
    const stored = await keys.getVersion(key.id, version);
    if (!stored) return undefined;
    try {
      return {
        secret: openMaterial(ctx.dataKey(access.project), key.id, version, stored.sealedMaterial),
        stored,
      };
    } catch {
      // Material that does not open for its row was altered or moved outside the API.
      throw new ApiError(
        500,
        'KeyIntegrityError',
        `Stored material of key '${key.id}' failed its integrity check`,
      );
    }
  }

  const keyAudit = (req: Request, access: ProjectAccess, type: string, metadata: Record<string, unknown>) =>
    audit(ctx, req, { type, metadata, projectId: access.project.id, projectName: access.project.name });
  const keyFacts = (k: KmsKeyRecord) => ({
    keyId: k.id,
    name: k.name,
    keyUsage: k.keyUsage,
    encryptionAlgorithm: k.encryptionAlgorithm,
    version: k.version,
  });

  router.post('/keys', async (req, res) => {
    const body = parseBody(req, createBody);
    const access = await projectAccess(ctx, authOf(req), body.projectId);
    access.assert('create', 'kms-keys');
    if (await keys.getKeyByName(access.project.id, body.name))
      throw duplicateName(body.name, access.project.id);
    const iso = new Date(ctx.now()).toISOString();
    const algorithm: KmsKeyAlgorithm = body.encryptionAlgorithm;
    const key: KmsKeyRecord = {
      id: randomUUID(),
      projectId: access.project.id,
      orgId: access.project.orgId,
      name: body.name,
      description: body.description ?? '',
      isDisabled: false,
      keyUsage: body.keyUsage,
      encryptionAlgorithm: algorithm,
      isExportable: body.isExportable,
      version: 1,
      createdAt: iso,
      updatedAt: iso,
    };
    const generated = await generateMaterial(algorithm);
    try {
      await keys.insertKey(key, {
        keyId: key.id,
        version: 1,
        sealedMaterial: sealMaterial(ctx.dataKey(access.project), key.id, 1, generated.material),
        publicKey: generated.publicKey?.toString('base64') ?? null,
        createdAt: iso,
      });
    } catch (error) {
      if (error instanceof StoreConflictError) throw duplicateName(body.name, access.project.id);
      throw error;
    } finally {
      generated.material.fill(0);
    }
    await keyAudit(req, access, 'create-cmek', keyFacts(key));
    res.json({ key: keyView(key) });
  });

  router.get('/keys', async (req, res) => {
    const q = parseQuery(req, listQuery);
    const access = await projectAccess(ctx, authOf(req), q.projectId);
    access.assert('read', 'kms-keys');
    const { keys: page, totalCount } = await keys.listKeys({ ...q, projectId: access.project.id });
    await keyAudit(req, access, 'get-cmeks', { keyIds: page.map((k) => k.id) });
    res.json({ keys: page.map(keyView), totalCount });
  });

  router.get('/keys/key-name/:keyName', async (req, res) => {
    const { keyName } = parseParams(req, keyNameParams);
    const { projectId } = parseQuery(req, keyNameQuery);
    const access = await projectAccess(ctx, authOf(req), projectId);
    access.assert('read', 'kms-keys');
    const key = await keys.getKeyByName(access.project.id, keyName);
    if (!key) throw notFound(`Key with name "${keyName}" not found for project with ID "${projectId}"`);
    await keyAudit(req, access, 'get-cmek', keyFacts(key));
    res.json({ key: keyView(key) });
  });

  router.get('/keys/:keyId', async (req, res) => {
    const { key, access } = await keyFor(req, 'read');
    await keyAudit(req, access, 'get-cmek', keyFacts(key));
    res.json({ key: keyView(key) });
  });

  router.patch('/keys/:keyId', async (req, res) => {
    const body = parseBody(req, updateBody);
    const { key, access } = await keyFor(req, 'edit');
    const updated: KmsKeyRecord = {
      ...key,
      name: body.name ?? key.name,
      description: body.description ?? key.description,
      isDisabled: body.isDisabled ?? key.isDisabled,
      updatedAt: new Date(ctx.now()).toISOString(),
    };
    try {
      await keys.updateKey(updated);
    } catch (error) {
      if (error instanceof StoreConflictError) throw duplicateName(updated.name, key.projectId);
      throw error;
    }
    await keyAudit(req, access, 'update-cmek', {
      ...keyFacts(updated),
      ...(body.name && body.name !== key.name ? { oldName: key.name } : {}),
      isDisabled: updated.isDisabled,
    });
    res.json({ key: keyView(updated) });
  });

  router.delete('/keys/:keyId', async (req, res) => {
    const { key, access } = await keyFor(req, 'delete');
    await keys.deleteKey(key.id);
    await keyAudit(req, access, 'delete-cmek', keyFacts(key));
    res.json({ key: keyView(key) });
  });

  router.post('/keys/:keyId/rotate', async (req, res) => {
    const { key, access } = await keyFor(req, 'edit');
    const rotated = await rotateKey(ctx, access, key);
    // Upstream has no event of its own for a rotation: it is a change of the key (`update-cmek`).
    await keyAudit(req, access, 'update-cmek', { ...keyFacts(rotated), rotatedFromVersion: key.version });
    res.json({ key: keyView(rotated) });
  });

  router.get('/keys/:keyId/versions', async (req, res) => {
    const { key, access } = await keyFor(req, 'read');
    const versions = await listKeyVersions(ctx, key);
    await keyAudit(req, access, 'get-cmek', keyFacts(key));
    res.json({ versions });
  });

  router.post('/keys/:keyId/encrypt', async (req, res) => {
    const { plaintext } = parseBody(req, encryptBody);
    const { key, access } = await keyFor(req, 'encrypt');
    assertUsable(key, 'encrypt-decrypt');
    let blob: Buffer;
    if (key.encryptionAlgorithm === 'RSA_4096') {
      if (plaintext.length > MAX_RSA_PLAINTEXT_BYTES) {
        throw badRequest(
          `plaintext cannot exceed ${MAX_RSA_PLAINTEXT_BYTES} bytes for an RSA_4096 key (RSA-OAEP)`,
        );
      }
      const stored = await keys.getVersion(key.id, key.version);
      if (!stored?.publicKey) throw notFound(`Key with ID "${key.id}" has no public key`);
      blob = encryptRsaBlob(Buffer.from(stored.publicKey, 'base64'), key.id, key.version, plaintext);
    } else {
      const opened = await material(access, key, key.version);
      if (!opened) throw notFound(`Key with ID "${key.id}" has no material for version ${key.version}`);
      blob = encryptBlob(opened.secret, key.id, key.version, plaintext);
      opened.secret.fill(0);
    }
    await keyAudit(req, access, 'cmek-encrypt', {
      keyId: key.id,
      encryptionAlgorithm: key.encryptionAlgorithm,
      version: key.version,
    });
    res.json({ ciphertext: blob.toString('base64') });
  });

  router.post('/keys/:keyId/decrypt', async (req, res) => {
    const { ciphertext } = parseBody(req, decryptBody);
    const { key, access } = await keyFor(req, 'decrypt');
    assertUsable(key, 'encrypt-decrypt');
    const invalid = () =>
      cryptographyError('The ciphertext is malformed, was altered, or was not made by this key');
    const version = blobVersion(ciphertext, key.encryptionAlgorithm);
    if (version === undefined || version > key.version) throw invalid();
    const opened = await material(access, key, version);
    if (!opened) throw invalid();
    const plaintext =
      key.encryptionAlgorithm === 'RSA_4096'
        ? decryptRsaBlob(opened.secret, key.id, version, ciphertext)
        : decryptBlob(opened.secret, key.id, version, ciphertext);
    opened.secret.fill(0);
    if (!plaintext) throw invalid();
    await keyAudit(req, access, 'cmek-decrypt', {
      keyId: key.id,
      encryptionAlgorithm: key.encryptionAlgorithm,
      version,
    });
    res.json({ plaintext: plaintext.toString('base64') });
  });

  /** The signing algorithm, if the key can use it. */
  function assertAlgorithm(key: KmsKeyRecord, signingAlgorithm: SigningAlgorithm) {
    if (!signingAlgorithmsOf(key.encryptionAlgorithm).includes(signingAlgorithm))
      throw badRequest(
        `Signing algorithm ${signingAlgorithm} does not fit a ${key.encryptionAlgorithm} key; use one of ${signingAlgorithmsOf(key.encryptionAlgorithm).join(', ')}`,
      );
  }

  /** Runs a signing operation, turning a digest of the wrong length into a 400. */
  function withDigestCheck<T>(run: () => T): T {
    try {
      return run();
    } catch (error) {
      if (error instanceof DigestLengthError) throw badRequest(`Invalid digest: ${error.message}`);
      throw error;
    }
  }

  router.post('/keys/:keyId/sign', async (req, res) => {
    const body = parseBody(req, signBody);
    const { key, access } = await keyFor(req, 'sign');
    assertUsable(key, 'sign-verify');
    assertAlgorithm(key, body.signingAlgorithm);
    const opened = await material(access, key, key.version);
    if (!opened) throw notFound(`Key with ID "${key.id}" has no material for version ${key.version}`);
    const signature = withDigestCheck(() =>
      signWith(opened.secret, body.signingAlgorithm, body.data, body.isDigest),
    );
    opened.secret.fill(0);
    const signatureBase64 = signature.toString('base64');
    await keyAudit(req, access, 'cmek-sign', {
      keyId: key.id,
      signingAlgorithm: body.signingAlgorithm,
      isDigest: body.isDigest,
      signature: signatureBase64,
    });
    res.json({ signature: signatureBase64, keyId: key.id, signingAlgorithm: body.signingAlgorithm });
  });

  router.post('/keys/:keyId/verify', async (req, res) => {
    const body = parseBody(req, verifyBody);
    const { key, access } = await keyFor(req, 'verify');
    assertUsable(key, 'sign-verify');
    assertAlgorithm(key, body.signingAlgorithm);
    const stored = await keys.getVersion(key.id, key.version);
    if (!stored?.publicKey) throw notFound(`Key with ID "${key.id}" has no public key`);
    const signatureValid = withDigestCheck(() =>
      verifyWith(
        Buffer.from(stored.publicKey!, 'base64'),
        body.signingAlgorithm,
        body.data,
        body.signature,
        body.isDigest,
      ),
    );
    await keyAudit(req, access, 'cmek-verify', {
      keyId: key.id,
      signingAlgorithm: body.signingAlgorithm,
      isDigest: body.isDigest,
      signatureValid,
    });
    res.json({ signatureValid, keyId: key.id, signingAlgorithm: body.signingAlgorithm });
  });

  router.get('/keys/:keyId/public-key', async (req, res) => {
    const { key, access } = await keyFor(req, 'read');
    if (key.keyUsage !== 'sign-verify')
      throw badRequest(`Key with ID '${key.id}' is not intended for signing`);
    const stored = await keys.getVersion(key.id, key.version);
    if (!stored?.publicKey) throw notFound(`Key with ID "${key.id}" has no public key`);
    await keyAudit(req, access, 'cmek-get-public-key', { keyId: key.id });
    res.json({ publicKey: stored.publicKey });
  });

  router.get('/keys/:keyId/signing-algorithms', async (req, res) => {
    const { key, access } = await keyFor(req, 'read');
    if (key.keyUsage !== 'sign-verify')
      throw badRequest(`Key with ID '${key.id}' is not intended for signing`);
    await keyAudit(req, access, 'cmek-list-signing-algorithms', { keyId: key.id });
    res.json({ signingAlgorithms: [...signingAlgorithmsOf(key.encryptionAlgorithm)] });
  });

  router.get('/keys/:keyId/private-key', async (req, _res) => {
    await keyFor(req, 'read');
    // Operator decision: key material never leaves this KMS (docs/reference/kms-keys.md).
    throw forbidden('Exporting private keys is disabled on this server: key material never leaves the KMS', {
      name: 'PrivateKeyExportDisabled',
    });
  });

  return router;
}

const duplicateName = (name: string, projectId: string) =>
  badRequest(`A KMS key with the name "${name}" already exists for the project with ID "${projectId}"`);

const kmsKey = `${KMS_PREFIX}/keys/:keyId`;

/** The routes above, as the OpenAPI document describes them (src/openapi/route-doc.ts). */
export const kmsRouteDocs = routeDocs('KMS Keys', [
  {
    method: 'post',
    path: `${KMS_PREFIX}/keys`,
    summary: 'Create a key',
    body: createBody,
    deviation: 'D13 (RSA_4096 and ECC_NIST_P256 signing keys).',
  },
  { method: 'get', path: `${KMS_PREFIX}/keys`, summary: 'List the keys of a project', query: listQuery },
  {
    method: 'get',
    path: `${KMS_PREFIX}/keys/key-name/:keyName`,
    summary: 'Read a key by name',
    params: keyNameParams,
    query: keyNameQuery,
  },
  { method: 'get', path: kmsKey, summary: 'Read a key', params: keyParams },
  {
    method: 'patch',
    path: kmsKey,
    summary: 'Rename, describe, disable or enable a key',
    params: keyParams,
    body: updateBody,
  },
  { method: 'delete', path: kmsKey, summary: 'Delete a key', params: keyParams },
  {
    method: 'post',
    path: `${kmsKey}/rotate`,
    summary: 'Rotate a symmetric key: new encryptions use a new version, older ciphertexts still decrypt',
    params: keyParams,
  },
  { method: 'get', path: `${kmsKey}/versions`, summary: 'List the versions of a key', params: keyParams },
  {
    method: 'post',
    path: `${kmsKey}/encrypt`,
    summary: 'Encrypt base64 plaintext',
    params: keyParams,
    body: encryptBody,
  },
  {
    method: 'post',
    path: `${kmsKey}/decrypt`,
    summary: 'Decrypt ciphertext to base64 plaintext',
    params: keyParams,
    body: decryptBody,
  },
  {
    method: 'post',
    path: `${kmsKey}/sign`,
    summary: 'Sign base64 data or a digest',
    params: keyParams,
    body: signBody,
  },
  {
    method: 'post',
    path: `${kmsKey}/verify`,
    summary: 'Verify a signature',
    params: keyParams,
    body: verifyBody,
  },
  {
    method: 'get',
    path: `${kmsKey}/public-key`,
    summary: 'The public key of a signing key',
    params: keyParams,
  },
  {
    method: 'get',
    path: `${kmsKey}/signing-algorithms`,
    summary: 'The signing algorithms a key supports',
    params: keyParams,
  },
  {
    method: 'get',
    path: `${kmsKey}/private-key`,
    summary: 'Refused: key material never leaves the server',
    params: keyParams,
    deviation:
      'upstream exports the private key; here the answer is 403 `PrivateKeyExportDisabled` (docs/reference/kms-keys.md).',
  },
]);
