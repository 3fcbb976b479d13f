// An RSA signature is exactly as long as the modulus (RFC 8017 8.2.2). A signature that starts with a
// zero octet still verified in OpenSSL with that octet dropped, so a test that truncated a signature
// failed for 1 signature in 256; the check now comes before every RSA verification.
import { constants, createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { expect, it } from 'vitest';
import { verifyWith } from '../src/domains/kms/key-crypto.js';

it.each([
  ['RSASSA_PSS_SHA_256', constants.RSA_PKCS1_PSS_PADDING],
  ['RSASSA_PKCS1_V1_5_SHA_256', constants.RSA_PKCS1_PADDING],
] as const)('%s: a signature with its leading zero octet dropped does not verify', (algorithm, padding) => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const key = createPrivateKey(privateKey.export({ format: 'pem', type: 'pkcs8' }));
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  // Sign messages until a signature starts with 0x00 (1 in 256 on average).
  for (let i = 0; i < 5000; i++) {
    const data = Buffer.from(`message ${i}`);
    const signature = sign('sha256', data, { key, padding, saltLength: 32 });
    if (signature[0] !== 0) continue;
    expect(verifyWith(spki, algorithm, data, signature, false)).toBe(true);
    expect(verifyWith(spki, algorithm, data, signature.subarray(1), false)).toBe(false);
    return;
  }
  throw new Error('no signature starting with a zero octet in 5000 tries');
});
