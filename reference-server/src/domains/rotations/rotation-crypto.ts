/**
 * A rotation's generated credentials at rest: sealed under the project's data key like secret
 * values (crypto/value-cipher.ts), bound to the rotation (and to the pending slot) by associated data.
 */
import { type DataKey, decryptValue, encryptValue } from '../../crypto/value-cipher.js';
import type { GeneratedCredentials } from './rotation-provider.js';

/** The credentials an unfinished rotation installs, with the slot they go to. */
export interface PendingCredentials extends GeneratedCredentials {
  index: number;
}

const generatedAad = (rotationId: string) => `secret-rotation:${rotationId}:generated`;
const pendingAad = (rotationId: string) => `secret-rotation:${rotationId}:pending`;

export const sealGenerated = (key: DataKey, rotationId: string, credentials: GeneratedCredentials[]) =>
  encryptValue(key, JSON.stringify(credentials), generatedAad(rotationId));

export const openGenerated = (key: DataKey, rotationId: string, ciphertext: string): GeneratedCredentials[] =>
  JSON.parse(decryptValue(key, ciphertext, generatedAad(rotationId))) as GeneratedCredentials[];

export const sealPending = (key: DataKey, rotationId: string, pending: PendingCredentials) =>
  encryptValue(key, JSON.stringify(pending), pendingAad(rotationId));

export const openPending = (key: DataKey, rotationId: string, ciphertext: string): PendingCredentials =>
  JSON.parse(decryptValue(key, ciphertext, pendingAad(rotationId))) as PendingCredentials;
