/**
 * The configuration resolution of `@hanzo/kms-node` without a filesystem: explicit options (checked by
 * `options.ts`), then environment variables, each parsed with a message that names the variable it came
 * from. Imports nothing from `node:`, so edge runtimes can bundle it (`@hanzo/kms-node/env`);
 * `resolveConfig` (`config.ts`) adds the credential files. Errors are {@link KmsNodeConfigError}s.
 *
 * @module
 */
import type { KmsAuthOptions } from '@hanzo/kms';
import { KmsNodeConfigError } from './boot-error.js';
import {
  type EnvMergePolicy,
  findOptionProblem,
  isHttpUrl,
  type KmsAuthMethod,
  type KmsNodeOptions,
} from './options.js';

export { KmsNodeConfigError } from './boot-error.js';
export * from './options.js';
export { locationLabel, projectLabel } from './location.js';

/** Where a resolved setting came from: `option`, `env:NAME`, `file:/path` or `default`. */
export type ConfigSource = 'option' | 'default' | `env:${string}` | `file:${string}`;

/** A fully resolved configuration. Printing it never shows the client secret. */
export interface ResolvedKmsConfig {
  siteUrl: string;
  /** How the identity logs in. */
  authMethod: KmsAuthMethod;
  /** Universal Auth client id (`''` for OIDC and JWT Auth). */
  clientId: string;
  /** The client secret (`''` for OIDC and JWT Auth). Not enumerable: `JSON.stringify` and `console.log` leave it out. */
  readonly clientSecret: string;
  /** OIDC / JWT Auth identity id. */
  identityId: string | undefined;
  /** OIDC / JWT Auth: the file the JWT is read from at every login. */
  jwtFile: string | undefined;
  /** OIDC / JWT Auth: the JWT given as a value. Not enumerable, like the client secret. */
  readonly jwt: string | undefined;
  projectId: string | undefined;
  projectSlug: string | undefined;
  environment: string;
  secretPath: string;
  recursive: boolean;
  includeImports: boolean;
  expandSecretReferences: boolean;
  bootTimeout: number;
  envMerge: EnvMergePolicy;
  credentialsDir: string;
  /** Where each setting came from, for diagnostics (`kms run --help` style messages, adapters). */
  sources: Record<string, ConfigSource>;
}

/** Default directory of the credential files. */
export const DEFAULT_CREDENTIALS_DIR = '/etc/kms/auth';
/** Default boot deadline in milliseconds. */
export const DEFAULT_BOOT_TIMEOUT = 10_000;

const envMergeValues = ['preserve', 'override', 'error'] as const;

/** `process.env` where there is one; an empty environment on runtimes without `process`. */
function processEnv(): Record<string, string | undefined> {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};
}

/** Reads the first non-empty variable of `names`. Empty strings count as unset (compose placeholders). */
function fromEnv(env: Record<string, string | undefined>, names: string[]): [string, string] | undefined {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) return [value, name];
  }
  return undefined;
}

/** Parses `true/false/1/0/yes/no/on/off` (any case). */
export function parseBooleanVariable(name: string, raw: string): boolean {
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new KmsNodeConfigError(name, `must be true or false (or 1/0, yes/no), got "${raw}"`);
}

/** Parses a duration: plain seconds (`10`, `2.5`) or with a unit (`500ms`, `10s`, `1m`); returns milliseconds. */
export function parseDuration(name: string, raw: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/i.exec(raw);
  const amount = match ? Number(match[1]) : Number.NaN;
  const unit = (match?.[2] ?? 's').toLowerCase();
  const ms = Math.round(amount * (unit === 'ms' ? 1 : unit === 'm' ? 60_000 : 1000));
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new KmsNodeConfigError(
      name,
      `must be a positive duration in seconds (e.g. 10, 2.5, 500ms), got "${raw}"`,
    );
  }
  return ms;
}

function parseSiteUrl(name: string, raw: string): string {
  if (!isHttpUrl(raw)) throw new KmsNodeConfigError(name, `must be an http(s) URL, got "${raw}"`);
  const url = new URL(raw);
  if (url.username || url.password) throw new KmsNodeConfigError(name, 'must not contain credentials');
  return raw.trim();
}

/**
 * Reads a credential file: `credentialsDir` and the file name (`clientId` or `clientSecret`) in, the
 * file's path and its trimmed content out (`value` undefined when the file does not exist). Throws a
 * {@link KmsNodeConfigError} naming the file when it exists but cannot be used.
 */
export type CredentialFileReader = (
  credentialsDir: string,
  fileName: 'clientId' | 'clientSecret',
) => { path: string; value: string | undefined };

/**
 * The configuration resolution of {@link KmsNodeOptions} without a filesystem: explicit `options` first,
 * then the `KMS_*` variables of `options.env` (default `process.env`), then, only when a
 * `readCredentialFile` is given, the credential files of `credentialsDir`. Same precedence, defaults,
 * checks and one-line {@link KmsNodeConfigError} messages as `resolveConfig` of `@hanzo/kms-node`, which
 * is this function with the file reader of Node. This module imports nothing from `node:`, so runtimes
 * without a filesystem (the Next.js edge runtime, workers) use it from `@hanzo/kms-node/env`.
 *
 * ```ts
 * import { resolveConfigFromEnv } from '@hanzo/kms-node/env';
 * const config = resolveConfigFromEnv({ env: { KMS_SITE_URL: 'https://kms.example.com', ... } });
 * ```
 */
export function resolveConfigFromEnv(
  options: KmsNodeOptions = {},
  readCredentialFile?: CredentialFileReader,
): ResolvedKmsConfig {
  const problem = findOptionProblem(options);
  if (problem) throw new KmsNodeConfigError(`option ${problem.field}`, problem.problem);
  const env = options.env ?? processEnv();
  const sources: Record<string, ConfigSource> = {};

  const pick = (field: keyof KmsNodeOptions, names: string[]): string | undefined => {
    const explicit = options[field];
    if (typeof explicit === 'string') {
      sources[field] = 'option';
      return explicit.trim();
    }
    const found = fromEnv(env, names);
    if (found) sources[field] = `env:${found[1]}`;
    return found?.[0];
  };
  const pickBool = (field: keyof KmsNodeOptions, name: string, fallback: boolean): boolean => {
    const explicit = options[field];
    if (typeof explicit === 'boolean') {
      sources[field] = 'option';
      return explicit;
    }
    const found = fromEnv(env, [name]);
    sources[field] = found ? `env:${name}` : 'default';
    return found ? parseBooleanVariable(name, found[0]) : fallback;
  };

  // Settings that are not set are collected and reported together, so one run names all of them.
  const missing: { field: string; problem: string }[] = [];
  const rawSite = pick('siteUrl', ['KMS_SITE_URL']);
  if (!rawSite)
    missing.push({
      field: 'KMS_SITE_URL',
      problem: 'is not set (the KMS server URL, e.g. https://kms.example.com)',
    });
  const siteUrl = !rawSite
    ? ''
    : sources.siteUrl === 'option'
      ? rawSite
      : parseSiteUrl('KMS_SITE_URL', rawSite);

  const credentialsDir = pick('credentialsDir', ['KMS_CREDENTIALS_DIR']) ?? DEFAULT_CREDENTIALS_DIR;
  sources.credentialsDir ??= 'default';

  const credential = (
    field: 'clientId' | 'clientSecret',
    names: string[],
    fileName: 'clientId' | 'clientSecret',
  ): string => {
    const direct = pick(field, names);
    if (direct) return direct;
    if (!readCredentialFile) {
      missing.push({
        field: names[0]!,
        problem: `is not set, nor ${names.slice(1).join(', ')}, and credential files cannot be read on this runtime`,
      });
      return '';
    }
    const { path, value } = readCredentialFile(credentialsDir, fileName);
    if (value) {
      sources[field] = `file:${path}`;
      return value;
    }
    missing.push({
      field: names[0]!,
      problem: `is not set, nor ${names.slice(1).join(', ')}, and ${path} does not exist (set KMS_CREDENTIALS_DIR to read the credential files from another directory)`,
    });
    return '';
  };

  const identityId = pick('identityId', [
    'KMS_IDENTITY_ID',
    'INFISICAL_OIDC_AUTH_IDENTITY_ID',
    'INFISICAL_JWT_AUTH_IDENTITY_ID',
  ]);
  const jwtFile = pick('jwtFile', ['KMS_OIDC_JWT_FILE', 'KMS_JWT_FILE']);
  const jwt = pick('jwt', ['KMS_OIDC_JWT', 'KMS_JWT']);
  const authMethod = resolveAuthMethod(options, env, sources, {
    universalAuth: Boolean(
      options.clientId ??
        options.clientSecret ??
        fromEnv(env, ['KMS_CLIENT_ID', 'KMS_CLIENT_SECRET', 'INFISICAL_UNIVERSAL_AUTH_CLIENT_ID']),
    ),
    jwtLogin: Boolean(identityId && (jwtFile || jwt)),
  });
  let clientId = '';
  let clientSecret = '';
  if (authMethod === 'universal-auth') {
    clientId = credential('clientId', ['KMS_CLIENT_ID', 'INFISICAL_UNIVERSAL_AUTH_CLIENT_ID'], 'clientId');
    clientSecret = credential(
      'clientSecret',
      ['KMS_CLIENT_SECRET', 'INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET'],
      'clientSecret',
    );
  } else {
    if (!identityId)
      missing.push({
        field: 'KMS_IDENTITY_ID',
        problem: `is not set (the machine identity that logs in with ${authMethod === 'oidc' ? 'OIDC' : 'JWT'} Auth)`,
      });
    if (jwtFile && jwt)
      throw new KmsNodeConfigError('KMS_OIDC_JWT_FILE', 'and KMS_OIDC_JWT are both set; set one of them');
    if (!jwtFile && !jwt)
      missing.push({
        field: 'KMS_OIDC_JWT_FILE',
        problem:
          'is not set, nor KMS_OIDC_JWT (the file the JWT-SVID is written to, read again at every login)',
      });
  }

  // Explicit project options replace the env pair as a whole, so an option never mixes with a variable.
  let projectId: string | undefined;
  let projectSlug: string | undefined;
  if (options.projectId !== undefined || options.projectSlug !== undefined) {
    // checkOptions has refused both at once.
    projectId = options.projectId;
    projectSlug = options.projectSlug;
    sources.project = 'option';
  } else {
    projectId = fromEnv(env, ['KMS_PROJECT_ID'])?.[0];
    projectSlug = fromEnv(env, ['KMS_PROJECT_SLUG'])?.[0];
    if (projectId && projectSlug) {
      throw new KmsNodeConfigError('KMS_PROJECT_ID', 'and KMS_PROJECT_SLUG are both set; set one of them');
    }
    if (!projectId && !projectSlug) {
      missing.push({
        field: 'KMS_PROJECT_SLUG',
        problem: 'is not set, nor KMS_PROJECT_ID (which project to read)',
      });
    }
    sources.project = projectId ? 'env:KMS_PROJECT_ID' : 'env:KMS_PROJECT_SLUG';
  }

  const environment = pick('environment', ['KMS_ENVIRONMENT']);
  if (!environment)
    missing.push({ field: 'KMS_ENVIRONMENT', problem: 'is not set (the environment slug, e.g. prod)' });
  if (missing.length > 0) throw missingSettingsError(missing);

  const secretPath = pick('secretPath', ['KMS_SECRET_PATH']) ?? '/';
  sources.secretPath ??= 'default';
  if (!secretPath.startsWith('/')) {
    throw new KmsNodeConfigError('KMS_SECRET_PATH', `must start with /, got "${secretPath}"`);
  }

  let bootTimeout = DEFAULT_BOOT_TIMEOUT;
  if (options.bootTimeout !== undefined) {
    bootTimeout = options.bootTimeout;
    sources.bootTimeout = 'option';
  } else {
    const found = fromEnv(env, ['KMS_BOOT_TIMEOUT']);
    sources.bootTimeout = found ? 'env:KMS_BOOT_TIMEOUT' : 'default';
    if (found) bootTimeout = parseDuration('KMS_BOOT_TIMEOUT', found[0]);
  }

  let envMerge: EnvMergePolicy = 'preserve';
  if (options.envMerge !== undefined) {
    envMerge = options.envMerge;
    sources.envMerge = 'option';
  } else {
    const found = fromEnv(env, ['KMS_ENV_MERGE']);
    sources.envMerge = found ? 'env:KMS_ENV_MERGE' : 'default';
    if (found) {
      const value = found[0].toLowerCase();
      if (!(envMergeValues as readonly string[]).includes(value)) {
        throw new KmsNodeConfigError(
          'KMS_ENV_MERGE',
          `must be preserve, override or error, got "${found[0]}"`,
        );
      }
      envMerge = value as EnvMergePolicy;
    }
  }

  const resolved = {
    siteUrl,
    authMethod,
    clientId,
    identityId,
    jwtFile,
    projectId,
    projectSlug,
    environment,
    secretPath: secretPath.length > 1 ? secretPath.replace(/\/+$/, '') || '/' : secretPath,
    recursive: pickBool('recursive', 'KMS_RECURSIVE', false),
    includeImports: pickBool('includeImports', 'KMS_INCLUDE_IMPORTS', true),
    expandSecretReferences: pickBool('expandSecretReferences', 'KMS_EXPAND_SECRET_REFERENCES', true),
    bootTimeout,
    envMerge,
    credentialsDir,
    sources,
  } as ResolvedKmsConfig;
  Object.defineProperty(resolved, 'clientSecret', { value: clientSecret, enumerable: false });
  Object.defineProperty(resolved, 'jwt', { value: jwt, enumerable: false });
  return resolved;
}

/**
 * One error for every setting that is not set: a single one keeps its own message (`KMS_ENVIRONMENT is
 * not set (…)`), several are listed in one line, and `configKey` names the first.
 */
function missingSettingsError(missing: readonly { field: string; problem: string }[]): KmsNodeConfigError {
  const first = missing[0]!;
  const error = new KmsNodeConfigError(first.field, first.problem);
  if (missing.length > 1) {
    error.message = `${missing.length} settings are missing: ${missing.map((m) => `${m.field} ${m.problem}`).join('; ')}`;
  }
  return error;
}

const AUTH_METHOD_NAMES: Record<string, KmsAuthMethod> = {
  'universal-auth': 'universal-auth',
  universal: 'universal-auth',
  oidc: 'oidc',
  'oidc-auth': 'oidc',
  jwt: 'jwt',
  'jwt-auth': 'jwt',
};

/** The auth method: explicit, from `KMS_AUTH_METHOD`, or inferred when only one kind of credential is given. */
function resolveAuthMethod(
  options: KmsNodeOptions,
  env: Record<string, string | undefined>,
  sources: Record<string, ConfigSource>,
  present: { universalAuth: boolean; jwtLogin: boolean },
): KmsAuthMethod {
  if (options.authMethod) {
    sources.authMethod = 'option';
    return options.authMethod;
  }
  const found = fromEnv(env, ['KMS_AUTH_METHOD']);
  if (found) {
    const method = AUTH_METHOD_NAMES[found[0].toLowerCase()];
    if (!method)
      throw new KmsNodeConfigError(
        'KMS_AUTH_METHOD',
        `must be universal-auth, oidc or jwt, got "${found[0]}"`,
      );
    sources.authMethod = 'env:KMS_AUTH_METHOD';
    return method;
  }
  if (present.jwtLogin && present.universalAuth)
    throw new KmsNodeConfigError(
      'KMS_AUTH_METHOD',
      'is not set, and both Universal Auth credentials and an OIDC identity with a JWT are configured; set it to universal-auth or oidc',
    );
  sources.authMethod = 'default';
  return present.jwtLogin ? 'oidc' : 'universal-auth';
}

/**
 * The `auth` option of a `KmsClient` for a resolved config. For OIDC and JWT Auth from a file,
 * `readJwtFile` reads it (again at every login); without one (runtimes with no filesystem) a JWT file
 * is a configuration error. A client secret that came from the `clientSecret` credential file is read
 * again at every login too (with the same reader), so rotating it is rewriting the file
 * (docs/authentication.md#rotating-a-client-secret).
 */
export function clientAuthOf(
  config: ResolvedKmsConfig,
  readJwtFile?: (path: string) => string,
): KmsAuthOptions {
  if (config.authMethod === 'universal-auth') {
    const file = config.sources.clientSecret?.startsWith('file:')
      ? config.sources.clientSecret.slice('file:'.length)
      : undefined;
    const clientSecret = file && readJwtFile ? () => readJwtFile(file) : config.clientSecret;
    return { universalAuth: { clientId: config.clientId, clientSecret } };
  }
  const { jwtFile } = config;
  let jwt: string | (() => string);
  if (jwtFile) {
    if (!readJwtFile)
      throw new KmsNodeConfigError(
        'KMS_OIDC_JWT_FILE',
        'cannot be read on this runtime; pass the token in KMS_OIDC_JWT',
      );
    jwt = () => readJwtFile(jwtFile);
  } else jwt = config.jwt!;
  const credentials = { identityId: config.identityId!, jwt };
  return config.authMethod === 'oidc' ? { oidc: credentials } : { jwt: credentials };
}

/**
 * A fingerprint of what a config reads (server, project, environment, path, flags; no credentials). The
 * boot marker stores it, so a child process configured the same way does not log in again.
 */
export function configFingerprint(config: ResolvedKmsConfig): string {
  const text = [
    config.siteUrl,
    config.projectId ?? '',
    config.projectSlug ?? '',
    config.environment,
    config.secretPath,
    config.recursive,
    config.includeImports,
    config.expandSecretReferences,
  ].join('|');
  // FNV-1a, 32-bit: a marker, not a security boundary.
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}
