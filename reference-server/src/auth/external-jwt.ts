/**
 * The one verification core of the JWT-based login methods (OIDC Auth and JWT Auth): where the
 * signing keys come from (OIDC discovery, a JWKS URL, or static PEM keys), a JWKS cache that survives
 * key rotation, signature and time checks with jose, and the bound subject, audiences and claims.
 * Each login method words its refusals itself ({@link RefusalWording}); the checks are the same.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { decodeProtectedHeader, errors as joseErrors, type JWTPayload, jwtVerify } from 'jose';
import picomatch from 'picomatch';
import { ApiError, forbidden, unauthorized } from '../http/errors.js';
import { fetchProviderJson, ProviderFetchError } from './provider-fetch.js';

/** Where a login method finds the keys that sign its tokens. */
export type KeySource =
  | { kind: 'oidc'; discoveryUrl: string; caCert: string }
  | { kind: 'jwks'; jwksUrl: string; caCert: string }
  | { kind: 'static'; publicKeys: string[] };

/** What a verified token must also carry (empty fields are not checked). */
export interface BoundPolicy {
  /** Expected issuer (`iss`), exact. */
  boundIssuer: string;
  /** Expected subject: exact or a glob. */
  boundSubject: string;
  /** Allowed audiences, `", "`-joined: one must equal or glob-match `aud` (or one of its elements). */
  boundAudiences: string;
  /** Claim path (dotted) → allowed values, `", "`-joined, each exact or a glob. */
  boundClaims: Record<string, string>;
}

/**
 * How a login method words each refusal (OIDC and JWT Auth differ upstream). The policy messages
 * (issuer to claims) are sent as given; the key messages get the prefix `Access denied: `.
 */
export interface RefusalWording {
  /** How the issuer is checked: while verifying (a 401 `jwt issuer invalid…`) or afterwards (a 403). */
  issuer: 'jose' | { status: 403; message: string };
  /** A token without `sub` while a subject is bound; absent: refused as a subject not allowed. */
  subjectMissing?: string;
  subjectNotAllowed: { status: 401 | 403; message: string };
  /** A token without `aud` while audiences are bound; absent: refused as an audience not allowed. */
  audienceMissing?: string;
  audienceNotAllowed: string;
  claimMissing: (claim: string) => string;
  claimNotAllowed: (claim: string) => string;
  /** A `kid` the provider does not publish. */
  keyNotFound: (kid: string) => string;
  /** A token without `kid` that none of the provider's keys verifies; `reason` is the last verdict. */
  noKeyVerified: (reason: string) => string;
  /** A token without `kid` while the provider publishes more keys than are tried. */
  tooManyKeys: (count: number, limit: number) => string;
  /** The provider publishes no usable key. */
  noKeys: string;
}

/** A token that does not decode as a JWT at all (upstream's words for both methods, without the prefix). */
export const INVALID_JWT = 'Invalid JWT';

/** Signing algorithms accepted: asymmetric only (never `none`, never HMAC with a public key). */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
/** Tolerated difference between the provider's clock and ours for `exp` / `nbf` / `iat`. */
const CLOCK_SKEW_SECONDS = 5;
/** A token without `kid` is tried against every key only while the provider has this many. */
const MAX_KEYS_WITHOUT_KID = 10;

/** Tunables of the key cache (settings of the server). */
export interface KeyCacheSettings {
  allowPrivateUrls: boolean;
  /** How long fetched keys are used before they are fetched again. */
  keysMaxAgeMs: number;
  /** Least time between two fetches caused by an unknown `kid` (a flood of bad tokens costs one fetch). */
  minRefetchIntervalMs: number;
  fetchTimeoutMs: number;
}

interface CachedKeys {
  keys: { kid: string | undefined; key: KeyObject }[];
  fetchedAt: number;
  inflight: Promise<CachedKeys> | undefined;
  /** The last fetch failed: until `until` no fetch is made, logins get `error` (or the older keys). */
  failure?: { error: unknown; until: number; backoffMs: number };
}

/** Longest wait between two fetches from a provider that keeps failing. */
const MAX_FAILURE_BACKOFF_MS = 60_000;

const denied = (message: string) => unauthorized(`Access denied: ${message}`);

/** Signing keys by source, fetched on first use and again on rotation; one instance per server. */
export class SigningKeyCache {
  readonly #entries = new Map<string, CachedKeys>();

  constructor(
    private readonly settings: KeyCacheSettings,
    private readonly now: () => number,
  ) {}

  /** The keys of a source; `refresh` asks for a fresh fetch (rate-limited) when a `kid` was not found. */
  async keys(source: Exclude<KeySource, { kind: 'static' }>, refresh = false): Promise<CachedKeys['keys']> {
    const id = `${source.kind}|${source.kind === 'oidc' ? source.discoveryUrl : source.jwksUrl}|${sha(source.caCert)}`;
    const entry = this.#entries.get(id);
    const age = entry ? this.now() - entry.fetchedAt : Number.POSITIVE_INFINITY;
    const stale = age > this.settings.keysMaxAgeMs || (refresh && age >= this.settings.minRefetchIntervalMs);
    if (entry && !stale) return entry.keys;
    if (entry?.inflight) return (await entry.inflight).keys;
    // A failing provider is asked again only after a backoff, so login rate never drives fetch rate;
    // meanwhile the keys fetched before the failure (if any) still verify.
    if (entry?.failure && this.now() < entry.failure.until) {
      if (entry.keys.length > 0) return entry.keys;
      throw entry.failure.error;
    }
    const target: CachedKeys = entry ?? {
      keys: [],
      fetchedAt: Number.NEGATIVE_INFINITY,
      inflight: undefined,
    };
    const fetching = this.fetch(source).then(
      (fetched) => {
        this.#entries.set(id, fetched);
        return fetched;
      },
      (error) => {
        target.inflight = undefined;
        const backoffMs = target.failure
          ? Math.min(target.failure.backoffMs * 2, MAX_FAILURE_BACKOFF_MS)
          : this.settings.minRefetchIntervalMs;
        target.failure = { error, until: this.now() + backoffMs, backoffMs };
        throw error;
      },
    );
    target.inflight = fetching;
    this.#entries.set(id, target);
    return (await fetching).keys;
  }

  private async fetch(source: Exclude<KeySource, { kind: 'static' }>): Promise<CachedKeys> {
    const options = {
      caCert: source.caCert || undefined,
      allowPrivate: this.settings.allowPrivateUrls,
      timeoutMs: this.settings.fetchTimeoutMs,
    };
    let jwksUrl: string;
    if (source.kind === 'oidc') {
      const url = discoveryDocumentUrl(source.discoveryUrl);
      let discovery: unknown;
      try {
        discovery = await fetchProviderJson(url, options);
      } catch (error) {
        // Upstream's words (identity-oidc-auth-service.ts), naming the URL as configured.
        throw denied(`Failed to fetch OIDC discovery document from ${source.discoveryUrl}. ${reason(error)}`);
      }
      const uri = (discovery as { jwks_uri?: unknown } | null)?.jwks_uri;
      if (typeof uri !== 'string' || uri === '')
        throw denied(
          'OIDC discovery document does not contain a jwks_uri. The identity provider may be misconfigured.',
        );
      jwksUrl = uri;
    } else jwksUrl = source.jwksUrl;
    let jwks: unknown;
    try {
      jwks = await fetchProviderJson(jwksUrl, options);
    } catch (error) {
      throw denied(`Failed to fetch JWKS from ${jwksUrl}: ${reason(error)}`);
    }
    const list = (jwks as { keys?: unknown } | null)?.keys;
    if (!Array.isArray(list)) throw denied(`the JWKS at ${jwksUrl} has no keys array`);
    const keys: CachedKeys['keys'] = [];
    for (const jwk of list.slice(0, 100)) {
      // Keys that are not public signing keys (symmetric, encryption-only, malformed) are skipped.
      if (typeof jwk !== 'object' || jwk === null || (jwk as { use?: string }).use === 'enc') continue;
      try {
        const key = createPublicKey({ key: jwk as never, format: 'jwk' });
        keys.push({
          kid: typeof (jwk as { kid?: unknown }).kid === 'string' ? (jwk as { kid: string }).kid : undefined,
          key,
        });
      } catch {}
    }
    return { keys, fetchedAt: this.now(), inflight: undefined };
  }
}

/** `https://issuer/` → `https://issuer/.well-known/openid-configuration` (kept when already given). */
export function discoveryDocumentUrl(discoveryUrl: string): string {
  const trimmed = discoveryUrl.replace(/\/+$/, '');
  return /\/\.well-known\/openid[-_]configuration$/.test(trimmed)
    ? trimmed
    : `${trimmed}/.well-known/openid-configuration`;
}

const sha = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);
const reason = (error: unknown) => (error instanceof ProviderFetchError ? error.message : 'request failed');

/** Static PEM keys parsed once per distinct set. */
const staticKeys = new Map<string, KeyObject[]>();
function staticKeysOf(pems: string[]): KeyObject[] {
  const id = sha(pems.join('\n'));
  let keys = staticKeys.get(id);
  if (!keys) {
    keys = pems.map((pem) => createPublicKey(pem));
    if (staticKeys.size > 256) staticKeys.clear();
    staticKeys.set(id, keys);
  }
  return keys;
}

/** jose's verdict in the words of jsonwebtoken, which upstream verifies with and quotes. */
function joseMessage(error: unknown, policy: BoundPolicy): string {
  if (error instanceof joseErrors.JWTExpired) return 'jwt expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'iss') return `jwt issuer invalid. expected: ${policy.boundIssuer}`;
    if (error.claim === 'nbf') return 'jwt not active';
    return error.message;
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'invalid signature';
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'invalid algorithm';
  if (error instanceof joseErrors.JOSEError) return error.message;
  return 'invalid token';
}

/**
 * Verifies `jwt` with the keys of `source` and checks the bound policy. Resolves to the verified
 * claims; every refusal is the contract's 401 (or 403 where the method says so).
 */
export async function verifyExternalJwt(
  jwt: string,
  source: KeySource,
  policy: BoundPolicy,
  wording: RefusalWording,
  cache: SigningKeyCache,
  nowMs: number,
): Promise<JWTPayload> {
  let header: { kid?: string; alg?: string };
  try {
    header = decodeProtectedHeader(jwt);
  } catch {
    throw unauthorized(INVALID_JWT);
  }
  const options = {
    algorithms: ALGORITHMS,
    clockTolerance: CLOCK_SKEW_SECONDS,
    currentDate: new Date(nowMs),
    ...(wording.issuer === 'jose' && policy.boundIssuer ? { issuer: policy.boundIssuer } : {}),
  };
  const verifyWith = async (key: KeyObject) => (await jwtVerify(jwt, key, options)).payload;

  let payload: JWTPayload;
  if (source.kind === 'static') {
    const errors: string[] = [];
    let verified: JWTPayload | undefined;
    for (const key of staticKeysOf(source.publicKeys)) {
      try {
        verified = await verifyWith(key);
        break;
      } catch (error) {
        errors.push(joseMessage(error, policy));
      }
    }
    if (!verified) throw denied(`JWT verification failed with all keys. Errors - ${errors.join('; ')}`);
    payload = verified;
  } else {
    let keys = await cache.keys(source);
    let candidates = header.kid === undefined ? keys : keys.filter((k) => k.kid === header.kid);
    if (header.kid !== undefined && candidates.length === 0) {
      // A key the cache does not know yet: the provider may have rotated. One rate-limited refetch.
      keys = await cache.keys(source, true);
      candidates = keys.filter((k) => k.kid === header.kid);
      if (candidates.length === 0) throw denied(wording.keyNotFound(header.kid));
    }
    if (header.kid === undefined && keys.length > MAX_KEYS_WITHOUT_KID)
      throw denied(wording.tooManyKeys(keys.length, MAX_KEYS_WITHOUT_KID));
    if (candidates.length === 0) throw denied(wording.noKeys);
    let verified: JWTPayload | undefined;
    let last: unknown;
    for (const candidate of candidates) {
      try {
        verified = await verifyWith(candidate.key);
        break;
      } catch (error) {
        last = error;
        // Expiry or a claim failure is a verdict on the token, not on this key: stop trying others.
        if (
          !(
            error instanceof joseErrors.JWSSignatureVerificationFailed ||
            error instanceof joseErrors.JOSENotSupported
          )
        )
          break;
      }
    }
    if (!verified) {
      const verdict = joseMessage(last, policy);
      throw denied(header.kid === undefined ? wording.noKeyVerified(verdict) : verdict);
    }
    payload = verified;
  }
  // A token without `exp` would never expire for replay; JWT-SVIDs always carry one.
  if (typeof payload.exp !== 'number')
    throw denied('the token has no exp (expiry) claim; tokens that never expire are refused');
  checkPolicy(payload, policy, wording);
  return payload;
}

/** A claim by exact name, else by dotted path (`groups.admin` → `payload.groups.admin`). */
export function claimAt(payload: Record<string, unknown>, path: string): unknown {
  if (path in payload) return payload[path];
  let current: unknown = payload;
  for (const part of path.split('.')) {
    if (typeof current !== 'object' || current === null || !(part in current)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/** Whether a claim value matches one allowed pattern: strings exact or by glob, booleans and integers by text, arrays by any element. */
export function claimMatches(value: unknown, pattern: string): boolean {
  if (Array.isArray(value)) return value.some((v) => claimMatches(v, pattern));
  if (typeof value === 'string') return value === pattern || picomatch.isMatch(value, pattern);
  if (typeof value === 'boolean') return String(value) === pattern.toLowerCase();
  if (typeof value === 'number')
    return Number.isFinite(value) && /^-?\d+(\.\d+)?$/.test(pattern) && Number(pattern) === value;
  return false;
}

/** `"a, b,c "` → `["a", "b", "c"]`. */
export const splitList = (list: string) =>
  list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

function checkPolicy(payload: JWTPayload, policy: BoundPolicy, wording: RefusalWording): void {
  if (wording.issuer !== 'jose' && policy.boundIssuer && payload.iss !== policy.boundIssuer)
    throw new ApiError(wording.issuer.status, 'ForbiddenError', wording.issuer.message);
  if (policy.boundSubject) {
    if (typeof payload.sub !== 'string' && wording.subjectMissing !== undefined)
      throw unauthorized(wording.subjectMissing);
    if (typeof payload.sub !== 'string' || !claimMatches(payload.sub, policy.boundSubject)) {
      const { status, message } = wording.subjectNotAllowed;
      throw status === 403 ? forbidden(message) : unauthorized(message);
    }
  }
  const audiences = splitList(policy.boundAudiences);
  if (audiences.length > 0) {
    if (payload.aud === undefined && wording.audienceMissing !== undefined)
      throw unauthorized(wording.audienceMissing);
    if (!audiences.some((a) => claimMatches(payload.aud, a))) throw unauthorized(wording.audienceNotAllowed);
  }
  for (const [claim, allowed] of Object.entries(policy.boundClaims)) {
    const value = claimAt(payload, claim);
    if (value === undefined || value === null) throw unauthorized(wording.claimMissing(claim));
    if (!splitList(allowed).some((pattern) => claimMatches(value, pattern)))
      throw unauthorized(wording.claimNotAllowed(claim));
  }
}
