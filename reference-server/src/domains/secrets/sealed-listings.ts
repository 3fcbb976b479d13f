/**
 * Sealed copies of recent secrets listings, so a repeated listing of an unchanged project opens one
 * ciphertext instead of decrypting, expanding and serialising every secret again (a list of 100
 * spent a third of its time creating 100 AES-GCM deciphers, and as much building and serialising the
 * answer). A copy is the response body, sealed with AES-256-GCM under a key that exists only in this
 * process's memory and bound to the listing's ETag; plaintext is never kept between requests, only
 * this ciphertext. A copy is kept per slot (the caller, its roles and the query) and only serves the
 * ETag it was made for, which also names the project's content version: a write anywhere in the
 * project makes it stale, and the next listing replaces it.
 */
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes } from 'node:crypto';

/** Listings larger than this are not kept (they are rare, and would crowd the others out). */
const MAX_LISTING_BYTES = 1024 * 1024;
/** Ciphertext kept in all, least recently used first out. */
const MAX_TOTAL_BYTES = 16 * 1024 * 1024;

interface SealedListing {
  etag: string;
  blob: Buffer;
  /** How many secrets the listing holds (for the audit entry of a served copy; not secret). */
  count: number;
}

export class SealedListings {
  /** Process-ephemeral: never stored, never derived from the root key, gone with the process. */
  readonly #key = createSecretKey(randomBytes(32));
  readonly #sealed = new Map<string, SealedListing>();
  #bytes = 0;

  /** The copy in `slot` if it was made for `etag`, opened; undefined when absent, stale or unreadable. */
  open(slot: string, etag: string): { body: Buffer; count: number } | undefined {
    const entry = this.#sealed.get(slot);
    if (!entry || entry.etag !== etag) return undefined;
    this.#sealed.delete(slot);
    this.#sealed.set(slot, entry);
    try {
      const { blob } = entry;
      const decipher = createDecipheriv('aes-256-gcm', this.#key, blob.subarray(0, 12));
      decipher.setAAD(Buffer.from(etag));
      decipher.setAuthTag(blob.subarray(12, 28));
      // Served as the bytes it was sealed from: no UTF-8 decoding here and re-encoding in the response.
      // GCM's final() yields no bytes; it checks the tag (and throws) before the body is used. No
      // Buffer.concat: it would copy the whole body once more.
      const body = decipher.update(blob.subarray(28));
      decipher.final();
      return { body, count: entry.count };
    } catch {
      this.#drop(slot);
      return undefined;
    }
  }

  /** Seals a listing's body for its ETag, replacing the slot's older copy. */
  seal(slot: string, etag: string, body: Buffer, count: number): void {
    this.#drop(slot);
    if (body.length > MAX_LISTING_BYTES) return;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(etag));
    const sealed = Buffer.concat([cipher.update(body), cipher.final()]);
    const blob = Buffer.concat([iv, cipher.getAuthTag(), sealed]);
    this.#sealed.set(slot, { etag, blob, count });
    this.#bytes += blob.length;
    while (this.#bytes > MAX_TOTAL_BYTES) this.#drop(this.#sealed.keys().next().value!);
  }

  #drop(slot: string) {
    const entry = this.#sealed.get(slot);
    if (!entry) return;
    this.#sealed.delete(slot);
    this.#bytes -= entry.blob.length;
  }
}
