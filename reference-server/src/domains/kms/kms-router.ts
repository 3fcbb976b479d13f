/**
 * The KMS keys API, `/api/v1/kms/keys` (docs/reference/kms-keys.md): parses and validates each
 * request (kms-schemas.ts), calls the service (kms-key-service.ts, key-versions.ts,
 * key-operations.ts) and shapes the answer. It never touches the store or key material.
 */
import { type Request, Router } from 'express';
import { requireAuth } from '../../auth/require-auth.js';
import type { ServerContext } from '../../context.js';
import { audit, authOf } from '../../context.js';
import { parseBody, parseParams, parseQuery } from '../../http/validate.js';
import { routeDocs } from '../../openapi/route-doc.js';
import {
  decrypt,
  encrypt,
  exportPrivateKey,
  getPublicKey,
  listSigningAlgorithms,
  sign,
  verify,
} from './key-operations.js';
import { listKeyVersions, rotateKey } from './key-versions.js';
import { keyView } from './key-view.js';
import {
  createKey,
  deleteKey,
  getKey,
  getKeyByName,
  type KmsCaller,
  listKeys,
  updateKey,
} from './kms-key-service.js';
import {
  createBody,
  decryptBody,
  encryptBody,
  keyNameParams,
  keyNameQuery,
  keyParams,
  listQuery,
  signBody,
  updateBody,
  verifyBody,
} from './kms-schemas.js';

/** Where {@link kmsRouter} is mounted; its routes are relative to it. */
export const KMS_PREFIX = '/api/v1/kms';

/**
 * Project KMS keys: `/api/v1/kms/keys` (docs/reference/kms-keys.md). Mounted at
 * {@link KMS_PREFIX} so other requests skip it with one prefix test.
 */
export function kmsRouter(ctx: ServerContext): Router {
  const router = Router();
  // The key operations audit every successful answer: an unlimited token's use commits with it.
  const operationAuth = requireAuth(ctx, { countUseWithAudit: true });

  /** The caller of a request: its identity, and audit entries in the project a service names. */
  const callerOf = (req: Request): KmsCaller => ({
    auth: authOf(req),
    audit: (project, event) =>
      audit(ctx, req, { ...event, projectId: project.id, projectName: project.name }),
  });
  const keyRef = (req: Request) => parseParams(req, keyParams);

  // The key operations first: they are the hot routes, and Express tries the routes in order (no
  // two of these routes answer the same method and path, so the order changes no answer).
  router.post('/keys/:keyId/encrypt', operationAuth, async (req, res) => {
    const { plaintext } = parseBody(req, encryptBody);
    const blob = await encrypt(ctx, callerOf(req), { ...keyRef(req), plaintext });
    res.json({ ciphertext: blob.toString('base64') });
  });

  router.post('/keys/:keyId/decrypt', operationAuth, async (req, res) => {
    const { ciphertext } = parseBody(req, decryptBody);
    const plaintext = await decrypt(ctx, callerOf(req), { ...keyRef(req), ciphertext });
    res.json({ plaintext: plaintext.toString('base64') });
  });

  router.post('/keys/:keyId/sign', operationAuth, async (req, res) => {
    const body = parseBody(req, signBody);
    const { key, signature } = await sign(ctx, callerOf(req), { ...keyRef(req), ...body });
    res.json({
      signature: signature.toString('base64'),
      keyId: key.id,
      signingAlgorithm: body.signingAlgorithm,
    });
  });

  router.post('/keys/:keyId/verify', operationAuth, async (req, res) => {
    const body = parseBody(req, verifyBody);
    const { key, signatureValid } = await verify(ctx, callerOf(req), { ...keyRef(req), ...body });
    res.json({ signatureValid, keyId: key.id, signingAlgorithm: body.signingAlgorithm });
  });

  // Every other request under the prefix, an unknown route included, needs a token first.
  router.use(requireAuth(ctx));

  router.post('/keys', async (req, res) => {
    const body = parseBody(req, createBody);
    res.json({ key: keyView(await createKey(ctx, callerOf(req), body)) });
  });

  router.get('/keys', async (req, res) => {
    const q = parseQuery(req, listQuery);
    const { keys, totalCount } = await listKeys(ctx, callerOf(req), q);
    res.json({ keys: keys.map(keyView), totalCount });
  });

  router.get('/keys/key-name/:keyName', async (req, res) => {
    const { keyName } = parseParams(req, keyNameParams);
    const { projectId } = parseQuery(req, keyNameQuery);
    res.json({ key: keyView(await getKeyByName(ctx, callerOf(req), { projectId, keyName })) });
  });

  router.get('/keys/:keyId', async (req, res) => {
    res.json({ key: keyView(await getKey(ctx, callerOf(req), keyRef(req))) });
  });

  router.patch('/keys/:keyId', async (req, res) => {
    const body = parseBody(req, updateBody);
    res.json({ key: keyView(await updateKey(ctx, callerOf(req), { ...keyRef(req), ...body })) });
  });

  router.delete('/keys/:keyId', async (req, res) => {
    res.json({ key: keyView(await deleteKey(ctx, callerOf(req), keyRef(req))) });
  });

  router.post('/keys/:keyId/rotate', async (req, res) => {
    res.json({ key: keyView(await rotateKey(ctx, callerOf(req), keyRef(req))) });
  });

  router.get('/keys/:keyId/versions', async (req, res) => {
    res.json({ versions: await listKeyVersions(ctx, callerOf(req), keyRef(req)) });
  });

  router.get('/keys/:keyId/public-key', async (req, res) => {
    res.json({ publicKey: await getPublicKey(ctx, callerOf(req), keyRef(req)) });
  });

  router.get('/keys/:keyId/signing-algorithms', async (req, res) => {
    res.json({ signingAlgorithms: await listSigningAlgorithms(ctx, callerOf(req), keyRef(req)) });
  });

  router.get('/keys/:keyId/private-key', async (req, _res) => {
    await exportPrivateKey(ctx, callerOf(req), keyRef(req));
  });

  return router;
}

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
