/**
 * Login strategies: how the SDK obtains a fresh access token. A strategy is asked for its login request
 * at **every** login, the first and each re-login, so a strategy can re-read a rotating credential
 * (a projected service-account JWT, an OIDC token file) each time. OIDC and JWT strategies plug in here.
 *
 * @module
 */
import { REDACTED, printAs } from '../redaction.js';

/** The HTTP call a strategy wants the SDK to make to log in. */
export interface LoginRequest {
  /** Login path below the API base, e.g. `/v1/auth/universal-auth/login`. Must start with `/v1/auth/`. */
  path: string;
  /** JSON body of the login call. */
  body: Record<string, unknown>;
  /** Strings in `body` that must never appear in an error or log (secrets, JWTs). */
  sensitive: string[];
}

/** How the SDK logs in; see {@link universalAuthStrategy}. */
export interface LoginStrategy {
  /** Auth method name, for diagnostics only (e.g. `universal-auth`). */
  readonly method: string;
  /**
   * The number of uses each token allows (`accessTokenNumUsesLimit` of the identity's auth config), if
   * known. With it the SDK counts uses and logs in again before a request would exceed the limit.
   * @default 0 (unknown or unlimited)
   */
  readonly accessTokenNumUsesLimit?: number;
  /** Builds the login request. Called again at every re-login. */
  loginRequest(): LoginRequest | Promise<LoginRequest>;
}

/** Credentials of a Universal Auth machine identity. */
export interface UniversalAuthCredentials {
  /** The identity's client id (`identityUniversalAuth.clientId`). */
  clientId: string;
  /** A client secret of the identity. Never printed by the SDK. */
  clientSecret: string;
  /** Optional sub-organisation slug. */
  organizationSlug?: string;
  /**
   * The identity's `accessTokenNumUsesLimit`, if it has one; lets the SDK log in again before the
   * last use is spent instead of waiting for the server's 401.
   * @default 0 (unlimited)
   */
  accessTokenNumUsesLimit?: number;
}

class UniversalAuthStrategy implements LoginStrategy {
  readonly method = 'universal-auth';
  readonly accessTokenNumUsesLimit: number;
  readonly #credentials: UniversalAuthCredentials;
  constructor(credentials: UniversalAuthCredentials) {
    this.#credentials = { ...credentials };
    this.accessTokenNumUsesLimit = credentials.accessTokenNumUsesLimit ?? 0;
  }
  /** The client id (not a secret). */
  get clientId(): string {
    return this.#credentials.clientId;
  }
  loginRequest(): LoginRequest {
    const { clientId, clientSecret, organizationSlug } = this.#credentials;
    return {
      path: '/v1/auth/universal-auth/login',
      body: { clientId, clientSecret, ...(organizationSlug ? { organizationSlug } : {}) },
      sensitive: [clientSecret],
    };
  }
}
printAs(UniversalAuthStrategy, 'UniversalAuthStrategy', (s) => ({
  method: s.method,
  clientId: s.clientId,
  clientSecret: REDACTED,
}));

/** A {@link LoginStrategy} for Universal Auth (`POST /api/v1/auth/universal-auth/login`). */
export function universalAuthStrategy(credentials: UniversalAuthCredentials): LoginStrategy {
  return new UniversalAuthStrategy(credentials);
}
