/**
 * `client.auth`: log in, set a token, renew, revoke.
 *
 * @module
 */
import {
  type JwtLoginCredentials,
  jwtAuthStrategy,
  jwtLoginSchema,
  type LoginStrategy,
  oidcAuthStrategy,
  type UniversalAuthCredentials,
  universalAuthSchema,
  universalAuthStrategy,
} from '../auth/login-strategy.js';
import type { AccessTokenInfo, TokenManager } from '../auth/token-manager.js';
import { CallScope } from '../call-scope.js';
import { parseInput } from '../input-validation.js';
import type { RequestOptions } from '../transport.js';

/** `client.auth.oidc` and `client.auth.jwt`: log in with a JWT. */
export class JwtLogin {
  /** @internal */
  constructor(
    private readonly auth: Auth,
    private readonly method: 'oidc-auth' | 'jwt-auth',
  ) {}

  /**
   * Logs in now (`POST /api/v1/auth/oidc-auth/login` or `/jwt-auth/login`) and keeps the session alive.
   * Pass `jwt` as a function to have it called again at every re-login (a rotating JWT-SVID). Returns
   * the token's lifetimes, never the token. A refusal is a `KmsAuthenticationError` (401) or
   * `KmsPermissionDeniedError` (403) carrying the server's reason; the JWT never appears in it.
   */
  login(credentials: JwtLoginCredentials, requestOptions?: RequestOptions): Promise<AccessTokenInfo> {
    const parsed = parseInput(jwtLoginSchema(), credentials) as JwtLoginCredentials;
    const strategy = this.method === 'oidc-auth' ? oidcAuthStrategy(parsed) : jwtAuthStrategy(parsed);
    return this.auth.loginWith(strategy, requestOptions);
  }
}

/** `client.auth.universalAuth`. */
export class UniversalAuth {
  /** @internal */
  constructor(private readonly auth: Auth) {}

  /**
   * Logs in with Universal Auth now (`POST /api/v1/auth/universal-auth/login`, no `Authorization`
   * header) and keeps the session alive from then on (renewal, re-login at max TTL or uses limit).
   * Returns the token's lifetimes, never the token.
   */
  login(credentials: UniversalAuthCredentials, requestOptions?: RequestOptions): Promise<AccessTokenInfo> {
    const parsed = parseInput(universalAuthSchema(), credentials);
    return this.auth.loginWith(universalAuthStrategy(parsed), requestOptions);
  }
}

/** `client.auth`: the session of the client. */
export class Auth {
  /** Universal Auth (client id + client secret). */
  readonly universalAuth: UniversalAuth;
  /** OIDC Auth (identity id + an OIDC token, such as a SPIFFE JWT-SVID). */
  readonly oidc: JwtLogin;
  /** JWT Auth (identity id + a JWT verified with a JWKS or static keys). */
  readonly jwt: JwtLogin;

  /** @internal */
  constructor(
    private readonly tokens: TokenManager,
    private readonly onIdentityChange: () => void,
  ) {
    this.universalAuth = new UniversalAuth(this);
    this.oidc = new JwtLogin(this, 'oidc-auth');
    this.jwt = new JwtLogin(this, 'jwt-auth');
  }

  /**
   * Logs in now with any {@link LoginStrategy} and keeps the session alive. The strategy is asked for
   * its login request again at every re-login (so a rotating JWT can be re-read).
   */
  async loginWith(strategy: LoginStrategy, requestOptions?: RequestOptions): Promise<AccessTokenInfo> {
    this.onIdentityChange();
    this.tokens.setStrategy(strategy);
    return this.tokens.login(requestOptions);
  }

  /** Uses a ready access token as is (no renewal, no re-login). */
  accessToken(token: string): void {
    this.onIdentityChange();
    this.tokens.setAccessToken(token);
  }

  /** Renews the current token now (`POST /api/v1/auth/token/renew`); falls back to a login if it fails. */
  renew(requestOptions?: RequestOptions): Promise<AccessTokenInfo> {
    return this.tokens.renew(requestOptions);
  }

  /** Revokes the current token (`POST /api/v1/auth/token/revoke`). A later request logs in again if it can. */
  revoke(requestOptions?: RequestOptions): Promise<void> {
    return this.tokens.revoke(requestOptions);
  }

  /**
   * Returns a valid access token (logging in or refreshing first if needed), for handing to code that
   * calls the API itself. Counted as one use. Treat the value as a secret.
   */
  async getAccessToken(requestOptions?: RequestOptions): Promise<string> {
    return (await this.tokens.acquire(new CallScope(undefined, requestOptions?.signal))).token;
  }

  /** Lifetimes of the current token (never the token itself), or `undefined` before the first login. */
  get tokenInfo(): AccessTokenInfo | undefined {
    return this.tokens.info;
  }
}
