/**
 * The configuration resolution of `@hanzo/kms-node` without a filesystem, driven by the settings table
 * (`settings.ts`): explicit options (checked by `options.ts`), then environment variables, each parsed
 * with a message that names the variable it came from, then defaults. Imports nothing from `node:`, so edge runtimes can bundle it (`@hanzo/kms-node/env`);
 * `resolveConfig` (`config.ts`) adds the credential files. Errors are {@link KmsNodeConfigError}s.
 *
 * @module
 */
import type { KmsAuthOptions } from '@hanzo/kms';
import { KmsNodeConfigError } from './boot-error.js';
import { findOptionProblem } from './options.js';
import {
  type EnvMergePolicy,
  type KmsAuthMethod,
  type KmsNodeOptions,
  type Setting,
  SETTINGS,
  type SettingName,
  settingNames,
  variableOf,
} from './settings.js';

export { KmsNodeConfigError } from './boot-error.js';
export { locationLabel, projectLabel } from './location.js';
export {
  DEFAULT_BOOT_TIMEOUT,
  DEFAULT_CREDENTIALS_DIR,
  type EnvMergePolicy,
  isHttpUrl,
  type KmsAuthMethod,
  type KmsNodeOptions,
  parseBooleanVariable,
  parseDuration,
} from './settings.js';

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

/** `process.env` where there is one; an empty environment on runtimes without `process`. */
function processEnv(): Record<string, string | undefined> {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};
}

/** Reads the first non-empty variable of `names`. Empty strings count as unset (compose placeholders). */
function fromEnv(
  env: Record<string, string | undefined>,
  names: readonly string[],
): [string, string] | undefined {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) return [value, name];
  }
  return undefined;
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
  return resolveCheckedOptions(options, readCredentialFile);
}

/**
 * @internal {@link resolveConfigFromEnv} for options already checked (a session checks its options
 * once, with its own rules, before it resolves them).
 */
export function resolveCheckedOptions(
  options: KmsNodeOptions,
  readCredentialFile?: CredentialFileReader,
): ResolvedKmsConfig {
  return resolveSettings(options, readCredentialFile, true) as ResolvedKmsConfig;
}

/**
 * @internal What a config reads, without how it logs in: every setting but the auth method and the
 * credentials, which {@link completeLogin} adds. The boot resolves this first: its fingerprint tells
 * whether a parent process already loaded the same secrets, and a child that inherited them needs no
 * credentials of its own. Options must have been checked.
 */
export type LocatedConfig = Omit<ResolvedKmsConfig, 'authMethod' | 'clientId' | 'clientSecret'>;

/** @internal Resolves checked options as far as {@link LocatedConfig}: no credential is looked for. */
export function locateConfig(options: KmsNodeOptions): LocatedConfig {
  return resolveSettings(options, undefined, false);
}

/**
 * @internal The rest of a {@link LocatedConfig}: the auth method and the credentials, from the same
 * `options` (and their environment), then the credential files. Missing credentials are reported in
 * one error, as by {@link resolveConfigFromEnv}.
 */
export function completeLogin(
  located: LocatedConfig,
  options: KmsNodeOptions,
  readCredentialFile?: CredentialFileReader,
): ResolvedKmsConfig {
  const reading: Reading = { options, env: options.env ?? processEnv(), sources: located.sources };
  const missing: MissingSetting[] = [];
  const login = resolveLogin(reading, located, readCredentialFile, missing);
  if (missing.length > 0) throw missingSettingsError(missing);
  return sealSecrets({ ...located, ...login, clientSecret: undefined }, login.clientSecret, located.jwt);
}

/** One setting that is not set: the variable messages name, and what it is. */
interface MissingSetting {
  field: string;
  problem: string;
}

/** What a resolution reads (explicit options, then their environment) and where it notes the sources. */
interface Reading {
  options: KmsNodeOptions;
  env: Record<string, string | undefined>;
  sources: Record<string, ConfigSource>;
}

/**
 * One setting by its row of {@link SETTINGS}: the explicit option (strings trimmed), else the first of
 * its variables that is set (parsed, an error naming the variable), else its default; `undefined` when
 * none has it. Notes where the value came from in `sources`.
 */
function readSetting<K extends SettingName>(
  reading: Reading,
  name: K,
): NonNullable<KmsNodeOptions[K]> | undefined {
  type Value = NonNullable<KmsNodeOptions[K]>;
  const setting = SETTINGS[name] as Setting<K>;
  const explicit = reading.options[name];
  if (explicit !== undefined) {
    reading.sources[name] = 'option';
    return (typeof explicit === 'string' ? explicit.trim() : explicit) as Value;
  }
  const found = fromEnv(reading.env, setting.variables);
  if (found) {
    reading.sources[name] = `env:${found[1]}`;
    return setting.parse ? setting.parse(found[1], found[0]) : (found[0] as Value);
  }
  if (setting.default === undefined) return undefined;
  reading.sources[name] = 'default';
  return setting.default;
}

/** The client secret and the JWT as non-enumerable properties: `JSON.stringify` and `console.log` leave them out. */
function sealSecrets<T extends object>(
  config: T,
  clientSecret: string | undefined,
  jwt: string | undefined,
): T & { readonly clientSecret: string; readonly jwt: string | undefined } {
  delete (config as { clientSecret?: unknown }).clientSecret;
  delete (config as { jwt?: unknown }).jwt;
  if (clientSecret !== undefined)
    Object.defineProperty(config, 'clientSecret', { value: clientSecret, enumerable: false });
  Object.defineProperty(config, 'jwt', { value: jwt, enumerable: false });
  return config as T & { readonly clientSecret: string; readonly jwt: string | undefined };
}

/**
 * The resolution: settings in the order their errors are reported. Those that are not set are
 * collected and reported together, so one run names all of them; with `login` false the auth method
 * and the credentials are left for {@link completeLogin}.
 */
function resolveSettings(
  options: KmsNodeOptions,
  readCredentialFile: CredentialFileReader | undefined,
  login: boolean,
): LocatedConfig | ResolvedKmsConfig {
  const reading: Reading = { options, env: options.env ?? processEnv(), sources: {} };
  const missing: MissingSetting[] = [];
  const siteUrl = readSetting(reading, 'siteUrl');
  if (!siteUrl)
    missing.push({
      field: variableOf('siteUrl'),
      problem: 'is not set (the KMS server URL, e.g. https://kms.example.com)',
    });
  const credentialsDir = readSetting(reading, 'credentialsDir')!;
  const identity = {
    credentialsDir,
    identityId: readSetting(reading, 'identityId'),
    jwtFile: readSetting(reading, 'jwtFile'),
    jwt: readSetting(reading, 'jwt'),
  };
  const loggedIn = login ? resolveLogin(reading, identity, readCredentialFile, missing) : undefined;
  const { projectId, projectSlug } = resolveProject(reading, missing);
  const environment = readSetting(reading, 'environment');
  if (!environment)
    missing.push({
      field: variableOf('environment'),
      problem: 'is not set (the environment slug, e.g. prod)',
    });
  if (missing.length > 0) throw missingSettingsError(missing);

  const secretPath = readSetting(reading, 'secretPath')!;
  const bootTimeout = readSetting(reading, 'bootTimeout')!;
  const envMerge = readSetting(reading, 'envMerge')!;
  const located = {
    siteUrl: siteUrl!,
    ...(loggedIn ? { authMethod: loggedIn.authMethod, clientId: loggedIn.clientId } : {}),
    identityId: identity.identityId,
    jwtFile: identity.jwtFile,
    projectId,
    projectSlug,
    environment: environment!,
    secretPath: secretPath.length > 1 ? secretPath.replace(/\/+$/, '') || '/' : secretPath,
    recursive: readSetting(reading, 'recursive')!,
    includeImports: readSetting(reading, 'includeImports')!,
    expandSecretReferences: readSetting(reading, 'expandSecretReferences')!,
    bootTimeout,
    envMerge: envMerge as EnvMergePolicy,
    credentialsDir,
    sources: reading.sources,
  };
  return sealSecrets(located, loggedIn?.clientSecret, identity.jwt) as LocatedConfig;
}

/** What {@link resolveLogin} works from: the identity settings, read with the others. */
type IdentitySettings = Pick<LocatedConfig, 'credentialsDir' | 'identityId' | 'jwtFile' | 'jwt'>;

/**
 * The auth method (explicit, `KMS_AUTH_METHOD`, or inferred when only one kind of credential is
 * given) and its credentials: Universal Auth's from the options, the variables, then the credential
 * files; OIDC / JWT Auth's identity and token checked. Settings that are not set go to `missing`.
 */
function resolveLogin(
  reading: Reading,
  identity: IdentitySettings,
  readCredentialFile: CredentialFileReader | undefined,
  missing: MissingSetting[],
): { authMethod: KmsAuthMethod; clientId: string; clientSecret: string } {
  const { identityId, jwtFile, jwt } = identity;
  // Read before the auth method is known (their presence infers it); their sources count only for
  // Universal Auth.
  const direct = { sources: {} as Record<string, ConfigSource> };
  const given = { ...reading, sources: direct.sources };
  const directId = readSetting(given, 'clientId');
  const directSecret = readSetting(given, 'clientSecret');
  const universalAuth = Boolean(directId ?? directSecret);
  const jwtLogin = Boolean(identityId && (jwtFile || jwt));
  let authMethod = readSetting(reading, 'authMethod');
  if (!authMethod) {
    if (jwtLogin && universalAuth)
      throw new KmsNodeConfigError(
        variableOf('authMethod'),
        'is not set, and both Universal Auth credentials and an OIDC identity with a JWT are configured; set it to universal-auth or oidc',
      );
    reading.sources.authMethod = 'default';
    authMethod = jwtLogin ? 'oidc' : 'universal-auth';
  }
  if (authMethod === 'universal-auth') {
    Object.assign(reading.sources, direct.sources);
    const credential = (name: 'clientId' | 'clientSecret', set: string | undefined): string => {
      if (set) return set;
      const [first, ...aliases] = SETTINGS[name].variables;
      if (!readCredentialFile) {
        missing.push({
          field: first!,
          problem: `is not set, nor ${aliases.join(', ')}, and credential files cannot be read on this runtime`,
        });
        return '';
      }
      const { path, value } = readCredentialFile(identity.credentialsDir, name);
      if (value) {
        reading.sources[name] = `file:${path}`;
        return value;
      }
      missing.push({
        field: first!,
        problem: `is not set, nor ${aliases.join(', ')}, and ${path} does not exist (set ${variableOf('credentialsDir')} to read the credential files from another directory)`,
      });
      return '';
    };
    const clientId = credential('clientId', directId);
    return { authMethod, clientId, clientSecret: credential('clientSecret', directSecret) };
  }
  if (!identityId)
    missing.push({
      field: variableOf('identityId'),
      problem: `is not set (the machine identity that logs in with ${authMethod === 'oidc' ? 'OIDC' : 'JWT'} Auth)`,
    });
  if (jwtFile && jwt)
    throw new KmsNodeConfigError(
      variableOf('jwtFile'),
      `and ${variableOf('jwt')} are both set; set one of them`,
    );
  if (!jwtFile && !jwt)
    missing.push({
      field: variableOf('jwtFile'),
      problem: `is not set, nor ${variableOf('jwt')} (the file the JWT-SVID is written to, read again at every login)`,
    });
  return { authMethod, clientId: '', clientSecret: '' };
}

/**
 * The project, one id-or-slug pair: explicit options replace the variables as a whole, so an option
 * never mixes with a variable; both set is refused, neither goes to `missing`.
 */
function resolveProject(
  reading: Reading,
  missing: MissingSetting[],
): { projectId: string | undefined; projectSlug: string | undefined } {
  const { options, env, sources } = reading;
  if (options.projectId !== undefined || options.projectSlug !== undefined) {
    // The option check has refused both at once.
    sources.project = 'option';
    return { projectId: options.projectId, projectSlug: options.projectSlug };
  }
  const [idVariable, slugVariable] = [variableOf('projectId'), variableOf('projectSlug')];
  const projectId = fromEnv(env, SETTINGS.projectId.variables)?.[0];
  const projectSlug = fromEnv(env, SETTINGS.projectSlug.variables)?.[0];
  if (projectId && projectSlug) {
    throw new KmsNodeConfigError(idVariable, `and ${slugVariable} are both set; set one of them`);
  }
  if (!projectId && !projectSlug) {
    missing.push({ field: slugVariable, problem: `is not set, nor ${idVariable} (which project to read)` });
  }
  sources.project = projectId ? `env:${idVariable}` : `env:${slugVariable}`;
  return { projectId, projectSlug };
}

/**
 * One error for every setting that is not set: a single one keeps its own message (`KMS_ENVIRONMENT is
 * not set (…)`), several are listed in one line, and `configKey` names the first.
 */
function missingSettingsError(missing: readonly MissingSetting[]): KmsNodeConfigError {
  const first = missing[0]!;
  const error = new KmsNodeConfigError(first.field, first.problem);
  if (missing.length > 1) {
    error.message = `${missing.length} settings are missing: ${missing.map((m) => `${m.field} ${m.problem}`).join('; ')}`;
  }
  return error;
}

/**
 * @internal The `auth` option of a `KmsClient` for a resolved config. For OIDC and JWT Auth from a file,
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
        variableOf('jwtFile'),
        `cannot be read on this runtime; pass the token in ${variableOf('jwt')}`,
      );
    jwt = () => readJwtFile(jwtFile);
  } else jwt = config.jwt!;
  const credentials = { identityId: config.identityId!, jwt };
  return config.authMethod === 'oidc' ? { oidc: credentials } : { jwt: credentials };
}

/** The settings a fingerprint is made of: the {@link SETTINGS} rows marked `fingerprint`, in table order. */
const fingerprinted = settingNames.filter((name) => SETTINGS[name].fingerprint);

/**
 * A fingerprint of what a config reads (server, project, environment, path, flags; no credentials). The
 * boot marker stores it, so a child process configured the same way does not log in again.
 */
export function configFingerprint(config: LocatedConfig): string {
  const text = fingerprinted.map((name) => config[name as keyof LocatedConfig] ?? '').join('|');
  // FNV-1a, 32-bit: a marker, not a security boundary.
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}
