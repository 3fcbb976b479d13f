/**
 * The ServerContext every router and service receives, and the per-request helpers (`authOf`,
 * `audit`). Types and small helpers only; it imports no domain.
 */
import type { Request } from 'express';
import type { Logger } from 'pino';
import type { AuditActor, AuditEvent, AuditLog } from './audit/audit-log.js';
import type { SigningKeyCache } from './auth/external-jwt.js';
import type { ServerSettings } from './config.js';
import type { KeyObject } from 'node:crypto';
import type { KeyManager } from './crypto/key-manager.js';
import type { DataKey } from './crypto/value-cipher.js';
import type { ChangeListener, ChangePlace } from './shared/change-notice.js';
import type { AttachedTokenUse } from './store/contract.js';
import type { AccessTokenRecord, IdentityRecord, ProjectRecord } from './store/records.js';
import type { Store } from './store/store.js';

/** The authenticated caller of a request (machine identities only: users have no API login here). */
export interface AuthContext {
  identity: IdentityRecord;
  token: AccessTokenRecord;
  orgId: string;
  /**
   * This request's use of an unlimited token, not yet counted (requireAuth's `countUseWithAudit`):
   * it commits with the request's audit entry ({@link audit}), or alone before an answer without
   * one (`countUncountedUse`, auth/require-auth.ts).
   */
  uncountedUse?: AttachedTokenUse | undefined;
}

/** See `Request.pendingAuth` and auth/require-auth.ts. */
export interface PendingAuth {
  tokenId: string;
  /** Leave an unlimited token's use to the audit entry (requireAuth's `countUseWithAudit`). */
  deferUnlimited: boolean;
}

/** Sealed copies of recent secrets listings, by slot and ETag (domains/secrets/sealed-listings.ts). */
export interface ListingCache {
  /** The sealed listing stored for `slot` under `etag`, opened; undefined when none or stale. */
  open(slot: string, etag: string): { body: Buffer; count: number } | undefined;
  /** Stores a listing's body (UTF-8 JSON) for `slot` under `etag`, sealed. */
  seal(slot: string, etag: string, body: Buffer, count: number): void;
}

/**
 * KMS key material kept sealed between requests (domains/kms/key-material-cache.ts): an entry is
 * used only while `validator` (the rows it was made from) is unchanged.
 */
export interface KeyMaterialKeeper {
  /** The opened material of a key version (the caller zeroes it), or undefined when none or stale. */
  material(keyId: string, version: number, validator: string): Buffer | undefined;
  /** The public key of a key version (null for a symmetric key), or undefined when none or stale. */
  publicKey(keyId: string, version: number, validator: string): Buffer | null | undefined;
  /** Keeps what a request read of a key version, sealed. */
  put(
    keyId: string,
    version: number,
    validator: string,
    read: { material?: Buffer; publicKey?: Buffer | null },
  ): void;
  /** Drops every entry of a key (after update, disable, rotation, deletion). */
  dropKey(keyId: string): void;
  /** Drops everything (on close). */
  clear(): void;
}

/** The change feed as services see it: publish after a commit, subscribe to notices (domains/changes/change-feed.ts). */
export interface ChangePublisher {
  publish(place: ChangePlace): Promise<void>;
  /** Adds a listener; returns its removal. */
  subscribe(listener: ChangeListener): () => void;
}

/** Everything a router or service needs, injected once by createApp. */
export interface ServerContext {
  store: Store;
  keys: KeyManager;
  settings: ServerSettings;
  audit: AuditLog;
  logger: Logger;
  /** Milliseconds since the epoch; injectable so tests control time. */
  now(): number;
  /**
   * Unwraps the project's data key through the key backend, once per project per process. Services
   * take the key from their caller's `access.dataKey` (auth/permissions.ts loads it there).
   */
  loadDataKey(project: ProjectRecord): Promise<DataKey>;
  /** The HS256 key access tokens are signed with. */
  jwtKey(): Promise<KeyObject>;
  /** Sealed copies of recent secrets listings, by ETag (domains/secrets/sealed-listings.ts). */
  sealedListings: ListingCache;
  /** KMS key material opened once, kept sealed under the sealed-listing rule (domains/kms/key-material-cache.ts). */
  keyMaterial: KeyMaterialKeeper;
  /** Identity providers' signing keys (OIDC and JWT Auth), cached across logins. */
  signingKeys: SigningKeyCache;
  /** Committed changes, published after each write (domains/changes/change-feed.ts). */
  changes: ChangePublisher;
}

declare global {
  namespace Express {
    interface Request {
      reqId: string;
      auth?: AuthContext;
      /**
       * A checked JWT whose token row is read with the route's project (requireAuth's
       * `readTokenWithProject`); `auth` is set once that row passed its checks.
       */
      pendingAuth?: PendingAuth | undefined;
    }
  }
}

/**
 * The caller. A route without `requireAuth` has none: that is a programming error, so it is a plain
 * Error (a 500 with no detail, http/error-handler.ts), not a 401 a client could act on.
 */
export function authOf(req: Request): AuthContext {
  if (req.pendingAuth)
    throw new Error('route used its caller before reading its project (readTokenWithProject)');
  if (!req.auth) throw new Error('route is missing requireAuth');
  return req.auth;
}

/** The audit actor of a request. */
export function actorOf(req: Request): AuditActor {
  return req.auth
    ? { type: 'identity', metadata: { identityId: req.auth.identity.id, name: req.auth.identity.name } }
    : { type: 'unknownUser', metadata: {} };
}

/**
 * Records an audit event for this request (actor, IP and user agent taken from it), with the
 * request's uncounted token use if it has one: both commit together.
 */
export function audit(ctx: ServerContext, req: Request, event: AuditEvent) {
  const tokenUse = req.auth?.uncountedUse;
  if (req.auth) req.auth.uncountedUse = undefined;
  return ctx.audit.record(
    { ...event, orgId: event.orgId ?? req.auth?.orgId ?? null },
    actorOf(req),
    { ipAddress: req.ip ?? null, userAgent: req.get('user-agent') ?? null },
    tokenUse,
  );
}
