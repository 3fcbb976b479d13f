/**
 * Checking the `x-infisical-signature` header of a webhook delivery on the receiving side:
 * `t=<timestamp ms>;<hex HMAC-SHA256 of the raw body under the webhook's secret key>`. Web Crypto
 * only, so it runs wherever the SDK does; the comparison is Web Crypto's `verify` (constant-time).
 *
 * @module
 */
import { KmsValidationError } from './errors.js';

/** Options of {@link verifyWebhookSignature}. */
export interface VerifyWebhookSignatureOptions {
  /**
   * Largest difference between the signed timestamp and now, either way, in milliseconds: an older
   * delivery is refused as a possible replay.
   * @default 300000 (5 minutes)
   */
  toleranceMs?: number;
  /**
   * The current time in milliseconds since the epoch (tests).
   * @default Date.now()
   */
  now?: number;
}

const HEADER = /^t=(\d{1,16});([0-9a-f]{64})$/i;

function hexToBytes(hex: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

/**
 * Whether a webhook delivery is authentic and fresh: the header is well formed, its HMAC matches
 * `body` under `key` (compared in constant time), and its timestamp is within `toleranceMs` of now.
 * Pass the raw body exactly as received (before any JSON parsing). A missing or malformed header is
 * `false`; an empty key or a bad option throws {@link KmsValidationError} naming it.
 *
 * @example
 * ```ts
 * const ok = await verifyWebhookSignature(rawBody, req.headers['x-infisical-signature'], process.env.WEBHOOK_KEY!);
 * if (!ok) return res.status(401).end();
 * ```
 */
export async function verifyWebhookSignature(
  body: string | Uint8Array,
  header: string | null | undefined,
  key: string,
  options: VerifyWebhookSignatureOptions = {},
): Promise<boolean> {
  if (typeof key !== 'string' || key.length === 0)
    throw new KmsValidationError('key', 'the webhook secret key must be a non-empty string');
  if (typeof body !== 'string' && !(body instanceof Uint8Array))
    throw new KmsValidationError('body', 'pass the raw request body as a string or bytes');
  const toleranceMs = options.toleranceMs ?? 300_000;
  if (!Number.isFinite(toleranceMs) || toleranceMs < 0)
    throw new KmsValidationError('toleranceMs', 'must be a non-negative number of milliseconds');
  if (typeof header !== 'string') return false;
  const match = HEADER.exec(header.trim());
  if (!match) return false;
  const timestamp = Number(match[1]);
  if (Math.abs((options.now ?? Date.now()) - timestamp) > toleranceMs) return false;
  const encoder = new TextEncoder();
  const hmacKey = await crypto.subtle.importKey(
    'raw',
    encoder.encode(key),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['verify'],
  );
  const data = typeof body === 'string' ? encoder.encode(body) : new Uint8Array(body);
  return crypto.subtle.verify('HMAC', hmacKey, hexToBytes(match[2]!), data);
}
