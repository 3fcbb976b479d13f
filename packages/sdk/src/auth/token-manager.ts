/**
 * The token manager owns the session: it logs in, renews shortly before expiry, logs in again when the
 * max TTL or the number of uses would run out, runs one refresh at a time, and never keeps the process
 * alive. The rules are written out in docs/token-lifecycle.md.
 *
 * @module
 */
import {
  KmsAbortError,
  KmsConfigError,
  KmsError,
  KmsResponseParseError,
  KmsValidationError,
} from '../errors.js';
import { CallScope, MAX_TIMER_MS, unrefTimer } from '../call-scope.js';
import type { KmsEventEmitter, ReauthenticationReason } from '../events.js';
import { printAs, REDACTED } from '../redaction.js';
import type { HttpTransport, RequestOptions } from '../transport.js';
import type { LoginStrategy } from './login-strategy.js';

/** What a login or renew returned, without the token: safe to log. */
export interface AccessTokenInfo {
  /** TTL of the token in seconds (`0` = never expires). */
  expiresIn: number;
  /** Max TTL of the session in seconds (`0` = unlimited). */
  accessTokenMaxTTL: number;
  /** Always `Bearer`. */
  tokenType: 'Bearer';
}

interface WireGrant {
  accessToken: string;
  expiresIn: number;
  accessTokenMaxTTL: number;
  tokenType?: string;
  accessTokenNumUsesLimit?: number;
}

interface Session {
  accessToken: string;
  /** TTL in ms; `Infinity` when the token never expires. */
  ttl: number;
  /** Max TTL in ms; `Infinity` when unlimited. */
  maxTtl: number;
  info: AccessTokenInfo;
  /** Client time just before the login request was sent (never later than the server's token creation). */
  loginAt: number;
  /** Client time just before the last login or renew request was sent. */
  fetchedAt: number;
  usesLimit: number;
  uses: number;
  /** Requests this token served that the server accepted. */
  succeeded: number;
  /** `login` sessions have a lifecycle; `manual` tokens (set with `accessToken()`) do not. */
  source: 'login' | 'manual';
  generation: number;
}

/** A token handed out for one request; `generation` identifies the session it came from. */
export interface TokenLease {
  token: string;
  generation: number;
}

/** Refresh margin for a lifetime of `ms`: 20 % of it, at most 30 s (so short TTLs get short buffers). */
export function refreshBuffer(ms: number): number {
  return Math.min(30_000, ms * 0.2);
}

/**
 * How long a token with TTL `ttlMs` is sure to be accepted. The JWT's `exp` has whole-second resolution
 * (`exp = floor(issuedAt) + TTL`), so a token may expire up to one second before `issuedAt + TTL`.
 */
export function usableLifetime(ttlMs: number): number {
  return ttlMs > 2_000 ? ttlMs - 1_000 : ttlMs / 2;
}

/** Whether the server refused a token because its uses ran out (contract: "…number of uses limit reached"). */
export function isUsesExhausted(error: { status: number; message: string }): boolean {
  return error.status === 401 && /number of uses limit reached/i.test(error.message);
}

/** Background retry delay after a failed refresh. */
const BACKGROUND_RETRY_MS = 1_000;

function toMs(seconds: number): number {
  return seconds > 0 ? seconds * 1000 : Number.POSITIVE_INFINITY;
}

/** How the caller's wait for a shared login or renew ends when it aborts (the refresh itself goes on). */
const authAbort = () => new KmsAbortError('aborted by the caller while authenticating');

/** A scope that only follows `requestOptions.signal`: a login or renew is shared, not bounded per caller. */
function callerScope(requestOptions: RequestOptions | undefined): CallScope {
  return new CallScope(undefined, requestOptions?.signal);
}

/** Owns the access token of one {@link KmsClient}. Internal: reach it through `client.auth`. */
export class TokenManager {
  readonly #transport: HttpTransport;
  readonly #events: KmsEventEmitter;
  readonly #now: () => number;
  #session: Session | undefined;
  #strategy: LoginStrategy | undefined;
  #inflight: Promise<void> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #generation = 0;
  #closed = false;
  #revokedByCaller = false;
  /**
   * The uses limit learned from the server's refusals when neither the login response nor the
   * strategy states it: the most requests one token was seen to serve before "uses limit reached".
   */
  #learnedUsesLimit: number | undefined;

  constructor(transport: HttpTransport, events: KmsEventEmitter, now: () => number = Date.now) {
    this.#transport = transport;
    this.#events = events;
    this.#now = now;
  }

  /** Uses `strategy` for every later login. Does not log in. */
  setStrategy(strategy: LoginStrategy): void {
    this.#strategy = strategy;
  }

  /** Safe facts about the current token, or `undefined` when there is none. */
  get info(): AccessTokenInfo | undefined {
    return this.#session ? { ...this.#session.info } : undefined;
  }

  /** Uses `token` as is: no renewal, no re-login (the caller owns its lifetime). */
  setAccessToken(token: string): void {
    if (typeof token !== 'string' || token.trim() === '') {
      throw new KmsValidationError('accessToken', 'expected a non-empty string');
    }
    this.#clearTimer();
    this.#closed = false;
    this.#session = {
      accessToken: token.trim(),
      ttl: Number.POSITIVE_INFINITY,
      maxTtl: Number.POSITIVE_INFINITY,
      info: { expiresIn: 0, accessTokenMaxTTL: 0, tokenType: 'Bearer' },
      loginAt: this.#now(),
      fetchedAt: this.#now(),
      usesLimit: 0,
      uses: 0,
      succeeded: 0,
      source: 'manual',
      generation: ++this.#generation,
    };
  }

  /** Logs in now with the configured strategy (sharing an in-flight refresh if one runs). */
  async login(requestOptions?: RequestOptions): Promise<AccessTokenInfo> {
    this.#closed = false;
    await callerScope(requestOptions).race(
      this.#exclusive(() => this.#doLogin(undefined)),
      authAbort,
    );
    return this.info!;
  }

  /** Renews the current token now; falls back to a fresh login if the renewal fails and a strategy exists. */
  async renew(requestOptions?: RequestOptions): Promise<AccessTokenInfo> {
    if (!this.#session) throw new KmsConfigError('auth', 'there is no access token to renew; log in first');
    await callerScope(requestOptions).race(
      this.#exclusive(() => this.#doRenewOrLogin(true)),
      authAbort,
    );
    return this.info!;
  }

  /** Revokes the current token on the server and forgets it. */
  async revoke(requestOptions?: RequestOptions): Promise<void> {
    if (this.#inflight) await this.#inflight.catch(() => undefined);
    const session = this.#session;
    this.#clearTimer();
    this.#session = undefined;
    this.#revokedByCaller = true;
    if (!session) return;
    await this.#transport.send({
      method: 'POST',
      path: '/v1/auth/token/revoke',
      body: { accessToken: session.accessToken },
      idempotent: true,
      sensitive: [session.accessToken],
      requestOptions,
    });
  }

  /**
   * Returns a token for one authenticated request, refreshing first when the token is due (a safety net
   * behind the background timer), and counts the use. Waiting for a login or renew ends when `scope`
   * aborts (the caller's signal or the call's deadline).
   */
  async acquire(scope: CallScope = new CallScope(undefined, undefined)): Promise<TokenLease> {
    if (this.#closed) {
      throw new KmsError('the client is closed; log in again with client.auth to reuse it');
    }
    for (let round = 0; round < 3; round++) {
      const session = this.#session;
      if (session && !this.#isDue(session)) {
        session.uses++;
        return { token: session.accessToken, generation: session.generation };
      }
      if (!session) {
        if (!this.#strategy) {
          throw new KmsConfigError(
            'auth',
            'the client is not authenticated: pass the `auth` option or call client.auth.universalAuth.login()',
          );
        }
        const reason = this.#revokedByCaller ? 'revoked' : undefined;
        await scope.race(
          this.#exclusive(() => (this.#session ? Promise.resolve() : this.#doLogin(reason))),
          authAbort,
        );
      } else {
        try {
          await scope.race(
            this.#exclusive(() =>
              this.#isDue(session) && this.#session === session ? this.#refreshDue() : Promise.resolve(),
            ),
            authAbort,
          );
        } catch (error) {
          // A token inside its refresh buffer still works: serve the request with it rather than fail.
          if (error instanceof KmsAbortError || this.#session !== session || !this.#isUsable(session))
            throw error;
          session.uses++;
          return { token: session.accessToken, generation: session.generation };
        }
      }
    }
    const session = this.#session;
    if (!session) throw new KmsConfigError('auth', 'could not obtain an access token');
    session.uses++;
    return { token: session.accessToken, generation: session.generation };
  }

  /** Counts a request the server accepted with `lease`'s token (the base of a learned uses limit). */
  succeeded(lease: TokenLease): void {
    if (this.#session?.generation === lease.generation) this.#session.succeeded++;
  }

  /**
   * Called when the server rejected a token with 401 or 403 `TokenError`. Logs in again (once per
   * session) and reports whether the request may be retried with a new token. A refusal for an
   * exhausted uses limit teaches the manager the limit, so later tokens are replaced before they run out.
   */
  async rejected(
    lease: TokenLease,
    error: { status: number; message: string },
    scope: CallScope,
  ): Promise<boolean> {
    if (!this.#strategy) return false;
    const { status } = error;
    const session = this.#session;
    if (isUsesExhausted(error) && session?.generation === lease.generation) {
      const served = Math.max(1, session.succeeded);
      this.#learnedUsesLimit = Math.max(this.#learnedUsesLimit ?? 0, served);
    }
    const reason: ReauthenticationReason = status === 401 ? 'unauthorized' : 'tokenExpired';
    await scope.race(
      this.#exclusive(() =>
        this.#session && this.#session.generation !== lease.generation
          ? Promise.resolve()
          : this.#doLogin(reason),
      ),
      authAbort,
    );
    return true;
  }

  /** Stops timers and, for a token obtained by login, revokes it. Never throws. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#clearTimer();
    if (this.#inflight) await this.#inflight.catch(() => undefined);
    const session = this.#session;
    if (session?.source !== 'login') {
      this.#session = undefined;
      return;
    }
    try {
      await this.revoke({ maxRetries: 0, timeout: 5_000 });
    } catch (error) {
      this.#events.emit('error', {
        error: error instanceof KmsError ? error : new KmsError('revoke failed'),
        operation: 'revoke',
      });
    }
  }

  #isDue(session: Session): boolean {
    if (session.source !== 'login') return false;
    if (session.usesLimit > 0 && session.uses >= session.usesLimit) return true;
    return this.#now() >= this.#refreshAt(session);
  }

  #isUsable(session: Session): boolean {
    if (session.usesLimit > 0 && session.uses >= session.usesLimit) return false;
    return this.#now() < session.fetchedAt + usableLifetime(session.ttl);
  }

  #refreshAt(session: Session): number {
    const lifetime = usableLifetime(session.ttl);
    return session.fetchedAt + lifetime - refreshBuffer(lifetime);
  }

  /** Runs `task` unless a refresh is already in flight, in which case the caller shares that one. */
  #exclusive(task: () => Promise<void>): Promise<void> {
    if (this.#inflight) return this.#inflight;
    const run = task().finally(() => {
      this.#inflight = undefined;
    });
    this.#inflight = run;
    return run;
  }

  /** The due session is renewed, or replaced by a login when renewing cannot work. */
  async #refreshDue(): Promise<void> {
    await this.#doRenewOrLogin(false);
  }

  async #doRenewOrLogin(forceRenew: boolean): Promise<void> {
    const session = this.#session;
    if (!session) return this.#doLogin(undefined);
    if (session.source === 'manual' && !forceRenew) return;
    const canLogin = this.#strategy !== undefined;
    if (canLogin && !forceRenew) {
      if (session.usesLimit > 0 && session.uses >= session.usesLimit) return this.#doLogin('usesLimit');
      const remainingBudget = session.loginAt + session.maxTtl - this.#now();
      // Renewing would ask the server to pass the max TTL (it would delete the token): log in instead.
      if (remainingBudget < session.ttl + refreshBuffer(session.ttl)) return this.#doLogin('maxTtl');
    }
    try {
      await this.#doRenew(session);
    } catch (error) {
      if (!canLogin || error instanceof KmsAbortError) throw error;
      await this.#doLogin('renewFailed');
    }
  }

  async #doLogin(reason: ReauthenticationReason | undefined): Promise<void> {
    const strategy = this.#strategy;
    if (!strategy) throw new KmsConfigError('auth', 'no login strategy configured');
    const request = await strategy.loginRequest();
    if (!request.path.startsWith('/v1/auth/')) {
      throw new KmsConfigError('auth', 'a login strategy must call a /v1/auth/ path');
    }
    const startedAt = this.#now();
    const response = await this.#transport.send<WireGrant>({
      method: 'POST',
      path: request.path,
      body: request.body,
      idempotent: true,
      sensitive: request.sensitive,
    });
    const grant = this.#readGrant(response.data, request.path);
    const usesLimit =
      grant.accessTokenNumUsesLimit ?? strategy.accessTokenNumUsesLimit ?? this.#learnedUsesLimit ?? 0;
    this.#install(grant, startedAt, startedAt, usesLimit, 0);
    this.#revokedByCaller = false;
    this.#events.emit('tokenRefreshed', { kind: 'login', ...this.#publicTimes() });
    if (reason) this.#events.emit('reauthenticated', { reason });
  }

  async #doRenew(session: Session): Promise<void> {
    const startedAt = this.#now();
    const response = await this.#transport.send<WireGrant>({
      method: 'POST',
      path: '/v1/auth/token/renew',
      body: { accessToken: session.accessToken },
      idempotent: true,
      sensitive: [session.accessToken],
    });
    const grant = this.#readGrant(response.data, '/v1/auth/token/renew');
    this.#install(grant, session.loginAt, startedAt, session.usesLimit, session.uses, session.source);
    // Same token row on the server: its use count, and what it served, carry on.
    this.#session!.succeeded = session.succeeded;
    this.#events.emit('tokenRefreshed', { kind: 'renew', ...this.#publicTimes() });
  }

  #publicTimes(): { expiresIn: number; accessTokenMaxTTL: number } {
    const info = this.#session!.info;
    return { expiresIn: info.expiresIn, accessTokenMaxTTL: info.accessTokenMaxTTL };
  }

  #readGrant(data: unknown, path: string): WireGrant {
    const grant = data as Partial<WireGrant> | undefined;
    if (
      !grant ||
      typeof grant.accessToken !== 'string' ||
      typeof grant.expiresIn !== 'number' ||
      typeof grant.accessTokenMaxTTL !== 'number'
    ) {
      throw new KmsResponseParseError({
        method: 'POST',
        path,
        status: 200,
        errorName: 'InvalidResponse',
        message: 'the login response lacks accessToken, expiresIn or accessTokenMaxTTL',
        requestId: undefined,
        details: undefined,
      });
    }
    return grant as WireGrant;
  }

  #install(
    grant: WireGrant,
    loginAt: number,
    fetchedAt: number,
    usesLimit: number,
    uses: number,
    source: Session['source'] = 'login',
  ): void {
    this.#session = {
      accessToken: grant.accessToken,
      ttl: toMs(grant.expiresIn),
      maxTtl: toMs(grant.accessTokenMaxTTL),
      info: { expiresIn: grant.expiresIn, accessTokenMaxTTL: grant.accessTokenMaxTTL, tokenType: 'Bearer' },
      loginAt,
      fetchedAt,
      usesLimit,
      uses,
      succeeded: 0,
      source,
      generation: ++this.#generation,
    };
    this.#schedule();
  }

  #schedule(delayOverride?: number): void {
    this.#clearTimer();
    const session = this.#session;
    if (this.#closed || !session || session.source !== 'login' || !this.#strategy) return;
    const at = this.#refreshAt(session);
    if (!Number.isFinite(at)) return; // TTL 0: the token never expires, nothing to do.
    const delay = Math.min(MAX_TIMER_MS, delayOverride ?? Math.max(0, at - this.#now()));
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      // A 30-day TTL does not fit one timer (Node would fire it at once): wait in chunks.
      if (delayOverride === undefined && this.#now() < at) return this.#schedule();
      this.#exclusive(() => (this.#session === session ? this.#refreshDue() : Promise.resolve())).catch(
        (error: unknown) => {
          this.#events.emit('error', {
            error: error instanceof KmsError ? error : new KmsError('background refresh failed'),
            operation: 'backgroundRefresh',
          });
          // The request path still refreshes on demand; retry in the background too.
          if (this.#session === session) this.#schedule(BACKGROUND_RETRY_MS);
        },
      );
    }, delay);
    unrefTimer(this.#timer);
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

printAs(TokenManager, 'TokenManager', (m) => ({ accessToken: m.info ? REDACTED : undefined, ...m.info }));
