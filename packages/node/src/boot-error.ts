/**
 * The one error type of a failed boot, and the mapping from SDK errors to it: a reason, an exit code and
 * one line that names the cause. Messages never contain a secret value, a client secret or a token.
 *
 * @module
 */
import {
  KmsAbortError,
  KmsApiError,
  KmsAuthenticationError,
  KmsConfigError,
  KmsConnectionError,
  KmsEnvConflictError,
  KmsError,
  KmsNotFoundError,
  KmsPermissionDeniedError,
  KmsRateLimitError,
  KmsTimeoutError,
  KmsValidationError,
  KmsIdentityLockedError,
  RATE_LIMIT_ADVICE,
} from '@hanzo/kms';
import { locationLabel } from './location.js';

/** Why a boot failed. Each reason has its own exit code ({@link exitCodes}). */
export type BootFailureReason =
  | 'config'
  | 'unreachable'
  | 'timeout'
  | 'bad-credentials'
  | 'locked-out'
  | 'forbidden'
  | 'not-found'
  | 'rate-limited'
  | 'server-error'
  | 'env-conflict'
  | 'invalid-secrets';

/**
 * Exit codes of a failed boot (`--import @hanzo/kms-node/register`) and of the `kms` CLI, from BSD
 * `sysexits.h` so that shells and supervisors can tell the causes apart.
 */
export const exitCodes: Readonly<Record<BootFailureReason, number>> = Object.freeze({
  /** EX_DATAERR: the environment already holds a different value (`KMS_ENV_MERGE=error`). */
  'env-conflict': 65,
  /** EX_DATAERR: secrets failed the `defineSecrets` schema. */
  'invalid-secrets': 65,
  /** EX_NOINPUT: project, environment, folder or secret does not exist. */
  'not-found': 66,
  /** EX_UNAVAILABLE: the server could not be reached or answered 5xx. */
  unreachable: 69,
  /** EX_UNAVAILABLE: the server failed (5xx). */
  'server-error': 69,
  /** EX_TEMPFAIL: the boot deadline (`KMS_BOOT_TIMEOUT`) passed. */
  timeout: 75,
  /** EX_TEMPFAIL: rate limited (429) until the deadline. */
  'rate-limited': 75,
  /** EX_NOPERM: wrong, revoked or expired credentials. */
  'bad-credentials': 77,
  /** EX_NOPERM: too many failed logins; the identity is locked for a while. */
  'locked-out': 77,
  /** EX_NOPERM: the identity may not read this project, environment or path. */
  forbidden: 77,
  /** EX_CONFIG: missing or invalid configuration (variable, option or credential file). */
  config: 78,
});

/**
 * A failed load: `reason` says why, `exitCode` is what the process exits with, `message` is one line.
 * `source` names who was loading (`KmsModule`, `kmsConfig(billing)`), and the message starts with it.
 */
export class KmsBootError extends KmsError {
  /** Always `KmsBootError`. */
  override name = 'KmsBootError';
  /** Why the boot failed. */
  readonly reason: BootFailureReason;
  /** The exit code for this reason (see `exitCodes`). */
  readonly exitCode: number;
  /** Key names involved (conflicting or invalid keys), never values. */
  readonly keys: readonly string[];
  /** Who was loading, when an adapter or a named session was (`KmsModule`); `undefined` for the boot itself. */
  readonly source: string | undefined;
  constructor(
    reason: BootFailureReason,
    message: string,
    options: { cause?: unknown; keys?: readonly string[]; source?: string } = {},
  ) {
    super(
      options.source ? `${options.source}: ${message}` : message,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.reason = reason;
    this.exitCode = exitCodes[reason];
    this.keys = Object.freeze([...(options.keys ?? [])]);
    this.source = options.source;
  }
}

/**
 * A missing or invalid setting. `configKey` names the variable, option or file at fault (`KMS_CLIENT_ID`,
 * `secretPath`, `/etc/kms/auth/clientId`); `source` names whose options they are (`KmsModule`), and the
 * message starts with it.
 */
export class KmsNodeConfigError extends KmsConfigError {
  /** Always `KmsNodeConfigError`. */
  override name = 'KmsNodeConfigError';
  /** The variable, option or file at fault, e.g. `KMS_SITE_URL` or `secretPath`. */
  readonly configKey: string;
  /** Whose options were checked, when an adapter's (`KmsModule`, `withKms`). */
  readonly source: string | undefined;
  /** `field` is how the message names the setting: a variable, a file or `option <name>`. */
  constructor(field: string, problem: string, source?: string) {
    super(field, problem);
    this.message = `${source ? `${source} ` : ''}${field} ${problem}`;
    this.configKey = field.replace(/^option /, '');
    this.source = source;
  }
}

/** Where the boot was reading from, to name it in messages. */
export interface BootTarget {
  siteUrl: string;
  /** Project slug or id. */
  project: string;
  environment: string;
  secretPath: string;
  timeoutMs?: number;
}

/** The JWT-based login methods, by their login path; their refusals are reported in the server's words. */
function jwtLoginMethod(path: string): string | undefined {
  if (path.includes('/auth/oidc-auth/')) return 'OIDC Auth';
  if (path.includes('/auth/jwt-auth/')) return 'JWT Auth';
  return undefined;
}

/**
 * Whether an error answer came from a KMS API: its envelope names the error, and a 404 is not the
 * framework's "no such route" (a site URL with a wrong path, e.g. `https://host/foo`, lands there),
 * bare or followed by the pointer to the OpenAPI document (reference-server/src/http/error-handler.ts).
 */
function isKmsApiAnswer(error: KmsApiError): boolean {
  if (error.error === undefined) return false;
  return !(error.status === 404 && /^Route [A-Z]+:\S* not found(?:$|\. )/.test(error.serverMessage));
}

/** Names what the server said is missing: the project, the environment, the folder or the secret. */
function describeNotFound(error: KmsApiError, target: BootTarget, where: string): string {
  const said = error.serverMessage;
  if (/^Project with /i.test(said)) return `project ${target.project} not found at ${target.siteUrl}`;
  if (/^Environment with /i.test(said)) {
    const near = (error.details as { didYouMean?: unknown } | undefined)?.didYouMean;
    const hint = typeof near === 'string' ? ` (did you mean ${near}?)` : '';
    return `environment ${target.environment} not found in project ${target.project}${hint}`;
  }
  if (error.error === 'SecretPathNotFound' || /^Folder with path/i.test(said)) {
    return `folder ${target.secretPath} does not exist in project ${target.project}, environment ${target.environment}`;
  }
  return `not found: ${said} (${where})`;
}

/**
 * Maps any error of a boot (SDK errors, config errors, the deadline) to a {@link KmsBootError} with one
 * line naming the cause. Server messages are already scrubbed of every sensitive string by the SDK.
 */
export function toBootError(error: unknown, target: BootTarget, source?: string): KmsBootError {
  if (error instanceof KmsBootError) {
    if (!source || error.source) return error;
    return new KmsBootError(error.reason, error.message, { cause: error, keys: error.keys, source });
  }
  const mapped = mapError(error, target);
  if (!source) return mapped;
  return new KmsBootError(mapped.reason, mapped.message, { cause: error, keys: mapped.keys, source });
}

function mapError(error: unknown, target: BootTarget): KmsBootError {
  const where = locationLabel(target);
  if (error instanceof KmsConfigError) return new KmsBootError('config', error.message, { cause: error });
  if (error instanceof KmsEnvConflictError) {
    return new KmsBootError('env-conflict', `${error.message} (KMS_ENV_MERGE=error)`, {
      cause: error,
      keys: error.keys,
    });
  }
  if (error instanceof KmsTimeoutError || error instanceof KmsAbortError) {
    return new KmsBootError(
      'timeout',
      `KMS server at ${target.siteUrl} did not answer within ${formatMs(target.timeoutMs)} (KMS_BOOT_TIMEOUT)`,
      { cause: error },
    );
  }
  if (error instanceof KmsConnectionError && error.tlsMismatch) {
    return new KmsBootError(
      'unreachable',
      `KMS server at ${target.siteUrl} answered in plain HTTP, not TLS (TLS/plain-HTTP mismatch): use http:// in KMS_SITE_URL, or serve TLS`,
      { cause: error },
    );
  }
  if (error instanceof KmsConnectionError) {
    return new KmsBootError('unreachable', `KMS server at ${target.siteUrl} is unreachable`, {
      cause: error,
    });
  }
  const jwtLogin = error instanceof KmsApiError ? jwtLoginMethod(error.path) : undefined;
  if (jwtLogin && (error instanceof KmsAuthenticationError || error instanceof KmsPermissionDeniedError)) {
    // The server says which check failed (subject, audience, issuer, signature, expiry); the JWT is never in it.
    return new KmsBootError(
      error instanceof KmsAuthenticationError ? 'bad-credentials' : 'forbidden',
      `login refused (${jwtLogin}, KMS_IDENTITY_ID / KMS_OIDC_JWT_FILE): ${error.serverMessage}`,
      { cause: error },
    );
  }
  if (error instanceof KmsAuthenticationError) {
    if (error instanceof KmsIdentityLockedError) {
      return new KmsBootError(
        'locked-out',
        'login refused: the identity is temporarily locked after repeated failed logins; try again later',
        { cause: error },
      );
    }
    const onLogin = error.path.includes('/auth/');
    return new KmsBootError(
      'bad-credentials',
      onLogin
        ? 'login refused: the client id or client secret is wrong, revoked or expired (KMS_CLIENT_ID / KMS_CLIENT_SECRET)'
        : 'the access token was refused (revoked or expired)',
      { cause: error },
    );
  }
  if (error instanceof KmsPermissionDeniedError) {
    const onLogin = error.path.includes('/auth/');
    return new KmsBootError(
      'forbidden',
      onLogin
        ? `login refused: ${error.error === 'TokenError' ? 'token error' : 'not allowed from this address'}`
        : `the identity is not allowed to read ${where}`,
      { cause: error },
    );
  }
  // 501 is what a plain HTTP server answers to a method it does not serve (a POST login): not a KMS.
  if (
    error instanceof KmsApiError &&
    (error.status < 500 || error.status === 501) &&
    !isKmsApiAnswer(error)
  ) {
    return new KmsBootError(
      'config',
      `KMS_SITE_URL ${target.siteUrl} is not a KMS API: ${error.method} ${error.path} under it answered ${error.status}; check the URL and its path`,
      { cause: error },
    );
  }
  if (error instanceof KmsNotFoundError) {
    return new KmsBootError('not-found', describeNotFound(error, target, where), { cause: error });
  }
  if (error instanceof KmsRateLimitError) {
    return new KmsBootError(
      'rate-limited',
      `KMS server at ${target.siteUrl} kept answering 429 Too Many Requests: ${RATE_LIMIT_ADVICE}`,
      {
        cause: error,
      },
    );
  }
  if (error instanceof KmsApiError) {
    if (error.status >= 500) {
      return new KmsBootError('server-error', `KMS server at ${target.siteUrl} failed with ${error.status}`, {
        cause: error,
      });
    }
    return new KmsBootError('config', `KMS server refused the request (${error.status}): ${error.message}`, {
      cause: error,
    });
  }
  if (error instanceof KmsValidationError) {
    return new KmsBootError('config', error.message, { cause: error });
  }
  const name = error instanceof Error ? error.name : typeof error;
  return new KmsBootError('unreachable', `boot failed with an unexpected ${name}`, { cause: error });
}

function formatMs(ms: number | undefined): string {
  if (ms === undefined) return 'the timeout';
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
