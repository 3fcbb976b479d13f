/**
 * Login strategies: how the SDK obtains a fresh access token. A strategy is asked for its login request
 * at **every** login, the first and each re-login, so a strategy can re-read a rotating credential
 * (a projected service-account JWT, an OIDC token file, a client secret file) each time: the strategies
 * below call the caller's `jwt` or `clientSecret` function at every login, so a rotated JWT-SVID or
 * client secret is always the one sent.
 *
 * @module
 */
import * as z from 'zod/mini';
import { KmsValidationError } from '../errors.js';
import { lazySchemas, nonEmptyString } from '../input-validation.js';
import { REDACTED, printAs } from '../redaction.js';

const usesLimit = () => z.optional(z.number().check(z.int(), z.nonnegative()));

/** Schema of {@link UniversalAuthCredentials} (the `auth.universalAuth` option and `login()`). */
export const universalAuthSchema = lazySchemas(() =>
  z.strictObject({
    clientId: nonEmptyString(),
    clientSecret: z.union([
      nonEmptyString(),
      z.custom<() => string | Promise<string>>(
        (f) => typeof f === 'function',
        'expected a string or a function',
      ),
    ]),
    organizationSlug: z.optional(nonEmptyString()),
    accessTokenNumUsesLimit: usesLimit(),
  }),
);

/** Schema of {@link JwtLoginCredentials} (the `auth.oidc` / `auth.jwt` options and `login()`). */
export const jwtLoginSchema = lazySchemas(() =>
  z.strictObject({
    identityId: nonEmptyString(),
    jwt: z.union([
      nonEmptyString(),
      z.custom<() => string | Promise<string>>(
        (f) => typeof f === 'function',
        'expected a string or a function',
      ),
    ]),
    organizationSlug: z.optional(nonEmptyString()),
    accessTokenNumUsesLimit: usesLimit(),
  }),
);

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
  /**
   * A client secret of the identity, or a function returning the current one. A function is called at
   * every login, including each automatic re-login after a refused token, so a workload whose secret
   * is rotated (a second secret created, the file it reads rewritten, the first revoked) logs in with
   * the new one without a restart. Never printed by the SDK.
   */
  clientSecret: string | (() => string | Promise<string>);
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
  async loginRequest(): Promise<LoginRequest> {
    const { clientId, clientSecret: source, organizationSlug } = this.#credentials;
    const clientSecret = typeof source === 'function' ? await source() : source;
    if (typeof clientSecret !== 'string' || clientSecret.trim() === '') {
      throw new KmsValidationError(
        'clientSecret',
        'the clientSecret source gave no secret (expected a non-empty string)',
      );
    }
    return {
      path: '/v1/auth/universal-auth/login',
      body: {
        clientId,
        clientSecret: clientSecret.trim(),
        ...(organizationSlug ? { organizationSlug } : {}),
      },
      sensitive: [clientSecret, clientSecret.trim()],
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

/** A JWT, or a function that returns the current one (called at every login, sync or async). */
export type JwtSource = string | (() => string | Promise<string>);

/** Credentials of an identity that logs in with a JWT: OIDC Auth (a JWT-SVID) or JWT Auth. */
export interface JwtLoginCredentials {
  /** The machine identity's id. */
  identityId: string;
  /**
   * The JWT, or a function returning the current one. A function is called at every login, including
   * each automatic re-login at max TTL or after a refused token, so a rotating JWT-SVID (say, a file a
   * SPIFFE helper rewrites) is always fresh. Never printed by the SDK.
   */
  jwt: JwtSource;
  /** Optional sub-organisation slug. */
  organizationSlug?: string;
  /** The identity's `accessTokenNumUsesLimit`, if it has one (see {@link UniversalAuthCredentials}). @default 0 */
  accessTokenNumUsesLimit?: number;
}

class JwtLoginStrategy implements LoginStrategy {
  readonly accessTokenNumUsesLimit: number;
  readonly #credentials: JwtLoginCredentials;
  constructor(
    readonly method: 'oidc-auth' | 'jwt-auth',
    credentials: JwtLoginCredentials,
  ) {
    this.#credentials = { ...credentials };
    this.accessTokenNumUsesLimit = credentials.accessTokenNumUsesLimit ?? 0;
  }
  /** The identity id (not a secret). */
  get identityId(): string {
    return this.#credentials.identityId;
  }
  async loginRequest(): Promise<LoginRequest> {
    const { identityId, jwt, organizationSlug } = this.#credentials;
    const token = typeof jwt === 'function' ? await jwt() : jwt;
    if (typeof token !== 'string' || token.trim() === '') {
      throw new KmsValidationError('jwt', 'the jwt source gave no token (expected a non-empty string)');
    }
    return {
      path: `/v1/auth/${this.method}/login`,
      body: { identityId, jwt: token.trim(), ...(organizationSlug ? { organizationSlug } : {}) },
      sensitive: [token, token.trim()],
    };
  }
}
printAs(JwtLoginStrategy, 'JwtLoginStrategy', (s) => ({
  method: s.method,
  identityId: s.identityId,
  jwt: REDACTED,
}));

/** A {@link LoginStrategy} for OIDC Auth (`POST /api/v1/auth/oidc-auth/login`), e.g. with a SPIFFE JWT-SVID. */
export function oidcAuthStrategy(credentials: JwtLoginCredentials): LoginStrategy {
  return new JwtLoginStrategy('oidc-auth', credentials);
}

/** A {@link LoginStrategy} for JWT Auth (`POST /api/v1/auth/jwt-auth/login`). */
export function jwtAuthStrategy(credentials: JwtLoginCredentials): LoginStrategy {
  return new JwtLoginStrategy('jwt-auth', credentials);
}
