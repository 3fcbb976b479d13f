import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';

// scrypt with modest cost: client secrets are 256-bit random, so the hash only has to be
// one-way; passwords get the same treatment. Format: scrypt$<salt b64>$<hash b64>.
const KEY_LENGTH = 32;
const COST = { N: 1 << 14, r: 8, p: 1 };

/** One-way hash of a client secret or password for storage. */
export function hashSecret(secret: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(secret, salt, KEY_LENGTH, COST);
  return `scrypt$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** Constant-time comparison of a presented secret with a stored hash. */
export function verifySecret(secret: string, stored: string): boolean {
  const [scheme, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = scryptSync(secret, Buffer.from(salt, 'base64'), expected.length, COST);
  return timingSafeEqual(actual, expected);
}
