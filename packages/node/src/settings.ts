/**
 * The settings of `@hanzo/kms-node` in one table ({@link SETTINGS}): for each option its variables (the
 * `KMS_*` name first, then kms-go's `INFISICAL_*` aliases), how a variable's text is parsed, its
 * default and the rule an explicit option must satisfy. Everything else is derived from it: the option
 * check (`options.ts`), the environment reading and the boot fingerprint (`env.ts`); `kmsVariables()`
 * (`env-entry.ts`) and the configuration table of docs/node-boot.md are tested against it
 * (test/settings.test.ts). Imports nothing from `node:`.
 *
 * @module
 */
import type { EnvMergePolicy } from '@hanzo/kms';
import { KmsNodeConfigError } from './boot-error.js';

export type { EnvMergePolicy } from '@hanzo/kms';

/** How the machine identity logs in. */
export type KmsAuthMethod = 'universal-auth' | 'oidc' | 'jwt';

/** Options of `resolveConfig`, `loadSecrets`, `watchSecrets` and the adapters built on them. */
export interface KmsNodeOptions {
  /** KMS server URL, e.g. `https://kms.example.com`. Env: `KMS_SITE_URL`. Required. */
  siteUrl?: string;
  /**
   * How to log in. Env: `KMS_AUTH_METHOD` (`universal-auth`, `oidc`, `jwt`). When unset it is inferred:
   * an identity id with a JWT (file or value) and no client id/secret means `oidc`; otherwise
   * `universal-auth`. Both configured at once is refused as ambiguous.
   */
  authMethod?: KmsAuthMethod;
  /** Identity id for OIDC or JWT Auth. Env: `KMS_IDENTITY_ID`, kms-go's `INFISICAL_OIDC_AUTH_IDENTITY_ID` (or `INFISICAL_JWT_AUTH_IDENTITY_ID`). */
  identityId?: string;
  /**
   * File holding the JWT for OIDC or JWT Auth (e.g. the JWT-SVID a SPIFFE helper keeps rewriting). Read
   * again at every login, so a rotated token is always the one sent. Env: `KMS_OIDC_JWT_FILE` (or `KMS_JWT_FILE`).
   */
  jwtFile?: string;
  /** The JWT itself, when it does not rotate during the process's life. Env: `KMS_OIDC_JWT` (or `KMS_JWT`). */
  jwt?: string;
  /** Universal Auth client id. Env: `KMS_CLIENT_ID`, `INFISICAL_UNIVERSAL_AUTH_CLIENT_ID`; file `clientId`. */
  clientId?: string;
  /** Universal Auth client secret. Env: `KMS_CLIENT_SECRET`, `INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET`; file `clientSecret`. */
  clientSecret?: string;
  /** Project id. Env: `KMS_PROJECT_ID`. One of `projectId` / `projectSlug` is required. */
  projectId?: string;
  /** Project slug. Env: `KMS_PROJECT_SLUG`. */
  projectSlug?: string;
  /** Environment slug, e.g. `prod`. Env: `KMS_ENVIRONMENT`. Required (no default: a wrong guess would load another environment's secrets). */
  environment?: string;
  /** Folder path. Env: `KMS_SECRET_PATH`. @default "/" */
  secretPath?: string;
  /** Include sub-folders. Env: `KMS_RECURSIVE`. @default false */
  recursive?: boolean;
  /** Merge imported folders. Env: `KMS_INCLUDE_IMPORTS`. @default true */
  includeImports?: boolean;
  /** Let the server expand `${KEY}` references. Env: `KMS_EXPAND_SECRET_REFERENCES`. @default true */
  expandSecretReferences?: boolean;
  /** Deadline for login + fetch together, in milliseconds. Env: `KMS_BOOT_TIMEOUT` (seconds, or `500ms`, `10s`). @default 10000 */
  bootTimeout?: number;
  /** Merge policy for variables that already exist. Env: `KMS_ENV_MERGE`. @default "preserve" */
  envMerge?: EnvMergePolicy;
  /** Directory holding the `clientId` and `clientSecret` files. Env: `KMS_CREDENTIALS_DIR`. @default "/etc/kms/auth" */
  credentialsDir?: string;
  /** The environment to read `KMS_*` variables from. @default process.env */
  env?: Record<string, string | undefined>;
}

/**
 * @internal What an option must be: `string` (non-empty), `boolean`, `url` (http or https), `path`
 * (starts with `/`), `milliseconds` (a positive whole number), `interval` (a whole number of
 * milliseconds, 0 for off), `envMerge`, `authMethod`, `object`, `schema` (a Standard Schema),
 * `writeEnv` (a boolean or an environment object), `function`. The tests live in `options.ts`.
 */
export type OptionRule =
  | 'string'
  | 'boolean'
  | 'url'
  | 'path'
  | 'milliseconds'
  | 'interval'
  | 'envMerge'
  | 'authMethod'
  | 'object'
  | 'schema'
  | 'writeEnv'
  | 'function';

/** Default directory of the credential files. */
export const DEFAULT_CREDENTIALS_DIR = '/etc/kms/auth';
/** Default boot deadline in milliseconds. */
export const DEFAULT_BOOT_TIMEOUT = 10_000;

/** An http(s) URL with a host: what `siteUrl` and `KMS_SITE_URL` must be. */
export function isHttpUrl(v: unknown): boolean {
  if (typeof v !== 'string') return false;
  try {
    const url = new URL(v);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
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

/** The names `KMS_AUTH_METHOD` accepts, with kms-go's spellings. */
const AUTH_METHOD_NAMES: Readonly<Record<string, KmsAuthMethod>> = {
  'universal-auth': 'universal-auth',
  universal: 'universal-auth',
  oidc: 'oidc',
  'oidc-auth': 'oidc',
  jwt: 'jwt',
  'jwt-auth': 'jwt',
};

function parseAuthMethod(name: string, raw: string): KmsAuthMethod {
  const method = AUTH_METHOD_NAMES[raw.toLowerCase()];
  if (!method) throw new KmsNodeConfigError(name, `must be universal-auth, oidc or jwt, got "${raw}"`);
  return method;
}

function parseEnvMerge(name: string, raw: string): EnvMergePolicy {
  const value = raw.toLowerCase();
  if (value !== 'preserve' && value !== 'override' && value !== 'error') {
    throw new KmsNodeConfigError(name, `must be preserve, override or error, got "${raw}"`);
  }
  return value;
}

function parseSecretPath(name: string, raw: string): string {
  if (!raw.startsWith('/')) throw new KmsNodeConfigError(name, `must start with /, got "${raw}"`);
  return raw;
}

/** The names of the settings: every {@link KmsNodeOptions} key. */
export type SettingName = keyof KmsNodeOptions;

/** @internal One row of {@link SETTINGS}. */
export interface Setting<K extends SettingName = SettingName> {
  /** The variables it is read from, first set wins: the `KMS_*` name, then aliases. Empty: an option only. */
  readonly variables: readonly string[];
  /** What an explicit option must be (`options.ts` holds the tests and the words). */
  readonly rule: OptionRule;
  /**
   * Turns a variable's trimmed text into the value, throwing a {@link KmsNodeConfigError} naming the
   * variable. Without one the text is the value.
   */
  readonly parse?: (variable: string, raw: string) => NonNullable<KmsNodeOptions[K]>;
  /** The value when neither an option nor a variable sets it. Without one the setting stays unset. */
  readonly default?: NonNullable<KmsNodeOptions[K]>;
  /** Part of what a config reads (not how it logs in): the boot fingerprint is made of these. */
  readonly fingerprint?: true;
  /**
   * Read by name by `kmsVariables()` on runtimes without a filesystem. `false` for the settings of
   * files and of the merge into `process.env`, which those runtimes do not have.
   */
  readonly edge: boolean;
}

/**
 * @internal Every setting, in the order the boot fingerprint joins them. The special cases that span
 * settings (the auth method inferred from the credentials, the credential files, the project as one
 * id-or-slug pair, which settings are required) are in `env.ts`, in terms of this table's names.
 */
export const SETTINGS: { readonly [K in SettingName]-?: Setting<K> } = Object.freeze({
  siteUrl: { variables: ['KMS_SITE_URL'], rule: 'url', parse: parseSiteUrl, fingerprint: true, edge: true },
  authMethod: { variables: ['KMS_AUTH_METHOD'], rule: 'authMethod', parse: parseAuthMethod, edge: true },
  identityId: {
    variables: ['KMS_IDENTITY_ID', 'INFISICAL_OIDC_AUTH_IDENTITY_ID', 'INFISICAL_JWT_AUTH_IDENTITY_ID'],
    rule: 'string',
    edge: true,
  },
  jwtFile: { variables: ['KMS_OIDC_JWT_FILE', 'KMS_JWT_FILE'], rule: 'string', edge: false },
  jwt: { variables: ['KMS_OIDC_JWT', 'KMS_JWT'], rule: 'string', edge: true },
  clientId: {
    variables: ['KMS_CLIENT_ID', 'INFISICAL_UNIVERSAL_AUTH_CLIENT_ID'],
    rule: 'string',
    edge: true,
  },
  clientSecret: {
    variables: ['KMS_CLIENT_SECRET', 'INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET'],
    rule: 'string',
    edge: true,
  },
  projectId: { variables: ['KMS_PROJECT_ID'], rule: 'string', fingerprint: true, edge: true },
  projectSlug: { variables: ['KMS_PROJECT_SLUG'], rule: 'string', fingerprint: true, edge: true },
  environment: { variables: ['KMS_ENVIRONMENT'], rule: 'string', fingerprint: true, edge: true },
  secretPath: {
    variables: ['KMS_SECRET_PATH'],
    rule: 'path',
    parse: parseSecretPath,
    default: '/',
    fingerprint: true,
    edge: true,
  },
  recursive: {
    variables: ['KMS_RECURSIVE'],
    rule: 'boolean',
    parse: parseBooleanVariable,
    default: false,
    fingerprint: true,
    edge: true,
  },
  includeImports: {
    variables: ['KMS_INCLUDE_IMPORTS'],
    rule: 'boolean',
    parse: parseBooleanVariable,
    default: true,
    fingerprint: true,
    edge: true,
  },
  expandSecretReferences: {
    variables: ['KMS_EXPAND_SECRET_REFERENCES'],
    rule: 'boolean',
    parse: parseBooleanVariable,
    default: true,
    fingerprint: true,
    edge: true,
  },
  bootTimeout: {
    variables: ['KMS_BOOT_TIMEOUT'],
    rule: 'milliseconds',
    parse: parseDuration,
    default: DEFAULT_BOOT_TIMEOUT,
    edge: true,
  },
  envMerge: {
    variables: ['KMS_ENV_MERGE'],
    rule: 'envMerge',
    parse: parseEnvMerge,
    default: 'preserve',
    edge: false,
  },
  credentialsDir: {
    variables: ['KMS_CREDENTIALS_DIR'],
    rule: 'string',
    default: DEFAULT_CREDENTIALS_DIR,
    edge: false,
  },
  // process.env is not a plain object: any object will do.
  env: { variables: [], rule: 'object', edge: false },
});

/** The names of the settings, in table order. */
export const settingNames = Object.keys(SETTINGS) as SettingName[];

/** The first variable of a setting: the one messages name. */
export function variableOf(name: SettingName): string {
  return SETTINGS[name].variables[0]!;
}
