/**
 * The client's lifecycle events. They carry no token and no secret value, so an app can log them as is.
 *
 * @module
 */
import type { KmsError } from './errors.js';

/** Why the SDK logged in again instead of using or renewing the current token. */
export type ReauthenticationReason =
  /** The remaining max-TTL budget is shorter than one more token TTL. */
  | 'maxTtl'
  /** The client-side count of uses reached `accessTokenNumUsesLimit`. */
  | 'usesLimit'
  /** A renew call failed. */
  | 'renewFailed'
  /** The server answered 401 to a request (token revoked, deleted or exhausted). */
  | 'unauthorized'
  /** The server answered 403 `TokenError` to a request (token expired or malformed). */
  | 'tokenExpired'
  /** The token was revoked through `client.auth.revoke()` and a later request needed one. */
  | 'revoked';

/** Payloads of the events a {@link KmsClient} emits. */
export interface KmsClientEvents {
  /** A new access token is in use, from a login or a renewal. */
  tokenRefreshed: {
    /** `login` for a fresh login, `renew` for a renewal of the current token. */
    kind: 'login' | 'renew';
    /** TTL of the new token in seconds (`0` = never expires). */
    expiresIn: number;
    /** Max TTL of the session in seconds (`0` = unlimited). */
    accessTokenMaxTTL: number;
  };
  /** The SDK logged in again on its own (follows a `tokenRefreshed` of kind `login`). */
  reauthenticated: {
    /** Why the SDK logged in again. */
    reason: ReauthenticationReason;
  };
  /** A failure that no caller awaited: a background refresh, or the revoke in `close()`. */
  error: {
    /** The error (its message holds no secret). */
    error: KmsError;
    /** What the SDK was doing. */
    operation: 'backgroundRefresh' | 'revoke';
  };
}

/** A listener of event `E`. */
export type KmsClientListener<E extends keyof KmsClientEvents> = (payload: KmsClientEvents[E]) => void;

/** A minimal typed emitter (no `node:events`, so the core runs on every runtime). */
export class KmsEventEmitter {
  private readonly listeners = new Map<keyof KmsClientEvents, Set<(payload: never) => void>>();

  /** Adds a listener; returns a function that removes it. */
  on<E extends keyof KmsClientEvents>(event: E, listener: KmsClientListener<E>): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as (payload: never) => void);
    return () => this.off(event, listener);
  }

  /** Removes a listener added with {@link KmsEventEmitter.on}. */
  off<E extends keyof KmsClientEvents>(event: E, listener: KmsClientListener<E>): void {
    this.listeners.get(event)?.delete(listener as (payload: never) => void);
  }

  /** Calls every listener of `event`; a throwing listener never breaks the SDK. */
  emit<E extends keyof KmsClientEvents>(event: E, payload: KmsClientEvents[E]): void {
    for (const listener of this.listeners.get(event) ?? []) {
      try {
        (listener as KmsClientListener<E>)(payload);
      } catch {
        // A listener's failure is the app's concern; the token lifecycle must go on.
      }
    }
  }
}
