/**
 * KMS key material opened once per process, kept under the sealed-listing rule
 * (domains/secrets/sealed-listings.ts, docs/reference/storage.md#kms-key-material-in-memory): between
 * requests only ciphertext stays, sealed with AES-256-GCM under a key that exists only in this
 * process's memory; a request opens its entry into a buffer it zeroes when done. An entry serves
 * only the validator it was made for, which the caller computes from the key and project rows it
 * read in the same request (version, update time, wrapped data key): a change by any replica (update,
 * disable, rotation, deletion, root-key rotation) makes it stale at the next request, and it is
 * dropped. Entries also expire after a TTL and are bounded in number and bytes. Never material on
 * disk, in a log, or in util.inspect or JSON of this object (its fields are private).
 */
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes } from 'node:crypto';

/** How long an entry may serve before its material is read and opened again. */
export const KEY_MATERIAL_TTL_MS = 5 * 60_000;
/** Entries kept in all (key versions), least recently used first out. */
export const KEY_MATERIAL_MAX_ENTRIES = 1000;
/** Sealed bytes kept in all (an RSA-4096 private key is about 2.4 KB; an AES key 32 bytes). */
export const KEY_MATERIAL_MAX_BYTES = 4 * 1024 * 1024;

interface Entry {
  validator: string;
  expiresAt: number;
  /** iv (12) || tag (16) || material sealed under the process key; absent until material is opened. */
  sealed?: Buffer;
  /** The version's public key (SPKI DER): not secret, kept as is. */
  publicKey?: Buffer | null;
}

/** What a request read of one key version: the opened material (still the caller's to zero) and/or the public key. */
export interface KeyVersionRead {
  material?: Buffer;
  publicKey?: Buffer | null;
}

/** Bounds of a {@link KeyMaterialCache}; the defaults are the constants above. */
export interface KeyMaterialCacheOptions {
  ttlMs?: number;
  maxEntries?: number;
  maxBytes?: number;
}

export class KeyMaterialCache {
  /** Process-ephemeral: never stored, never derived from the root key, gone with the process. */
  readonly #key = createSecretKey(randomBytes(32));
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  #bytes = 0;

  constructor(now: () => number, options: KeyMaterialCacheOptions = {}) {
    this.#now = now;
    this.#ttlMs = options.ttlMs ?? KEY_MATERIAL_TTL_MS;
    this.#maxEntries = options.maxEntries ?? KEY_MATERIAL_MAX_ENTRIES;
    this.#maxBytes = options.maxBytes ?? KEY_MATERIAL_MAX_BYTES;
  }

  /** How many key versions have an entry (for tests and metrics; no key ids, no material). */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * The material of one key version, opened into a fresh buffer the caller zeroes, if an entry made
   * for `validator` holds it and has not expired; else undefined (a stale entry is dropped).
   */
  material(keyId: string, version: number, validator: string): Buffer | undefined {
    const slot = slotOf(keyId, version);
    const sealed = this.#fresh(slot, validator)?.sealed;
    if (!sealed) return undefined;
    try {
      return this.#open(sealed, slot, validator);
    } catch {
      this.#drop(slot);
      return undefined;
    }
  }

  /** The public key (SPKI DER, or null for a symmetric key) of one key version, as {@link material}. */
  publicKey(keyId: string, version: number, validator: string): Buffer | null | undefined {
    return this.#fresh(slotOf(keyId, version), validator)?.publicKey;
  }

  /** The entry of `slot` if made for `validator` and not expired (now most recently used). */
  #fresh(slot: string, validator: string): Entry | undefined {
    const entry = this.#entries.get(slot);
    if (!entry) return undefined;
    if (entry.validator !== validator || entry.expiresAt <= this.#now()) {
      this.#drop(slot);
      return undefined;
    }
    this.#entries.delete(slot);
    this.#entries.set(slot, entry);
    return entry;
  }

  /**
   * Keeps what a request read of one key version, for `validator`: the material sealed (the caller
   * still zeroes its own buffer) and/or the public key. Merges with an entry of the same validator.
   */
  put(keyId: string, version: number, validator: string, read: KeyVersionRead): void {
    const slot = slotOf(keyId, version);
    let entry = this.#entries.get(slot);
    if (entry && entry.validator !== validator) {
      this.#drop(slot);
      entry = undefined;
    }
    if (entry) {
      this.#entries.delete(slot);
      this.#bytes -= bytesOf(entry);
    } else {
      entry = { validator, expiresAt: this.#now() + this.#ttlMs };
    }
    if (read.publicKey !== undefined) entry.publicKey = read.publicKey;
    if (read.material && !entry.sealed) entry.sealed = this.#seal(read.material, slot, validator);
    this.#entries.set(slot, entry);
    this.#bytes += bytesOf(entry);
    while (this.#entries.size > this.#maxEntries || this.#bytes > this.#maxBytes) {
      this.#drop(this.#entries.keys().next().value!);
    }
  }

  /** Drops every version of a key (its row changed or went away in this process). */
  dropKey(keyId: string): void {
    const prefix = `${keyId}/`;
    for (const slot of [...this.#entries.keys()]) if (slot.startsWith(prefix)) this.#drop(slot);
  }

  /** Drops every entry (e.g. when the server closes). */
  clear(): void {
    for (const slot of [...this.#entries.keys()]) this.#drop(slot);
  }

  #seal(material: Buffer, slot: string, validator: string): Buffer {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(`${slot}|${validator}`));
    const body = Buffer.concat([cipher.update(material), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]);
  }

  #open(sealed: Buffer, slot: string, validator: string): Buffer {
    const decipher = createDecipheriv('aes-256-gcm', this.#key, sealed.subarray(0, 12));
    decipher.setAAD(Buffer.from(`${slot}|${validator}`));
    decipher.setAuthTag(sealed.subarray(12, 28));
    // GCM's final() adds no bytes: the one output buffer is the material, zeroed if the tag fails.
    const material = decipher.update(sealed.subarray(28));
    try {
      decipher.final();
    } catch (error) {
      material.fill(0);
      throw error;
    }
    return material;
  }

  #drop(slot: string) {
    const entry = this.#entries.get(slot);
    if (!entry) return;
    this.#entries.delete(slot);
    this.#bytes -= bytesOf(entry);
  }
}

const slotOf = (keyId: string, version: number) => `${keyId}/${version}`;
const bytesOf = (entry: Entry) => (entry.sealed?.length ?? 0) + (entry.publicKey?.length ?? 0);
