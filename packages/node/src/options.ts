/**
 * The options of `@hanzo/kms-node` and their one check. Every entry point (`resolveConfig`,
 * `createSecretsSession`, `loadSecrets`, `watchSecrets`) and every adapter (`withKms`, `KmsModule`)
 * checks its options with {@link findOptionProblem}, passing the rules of the options it adds, so a
 * typo or a wrong type fails with the same words everywhere. Hand-written rather than a schema library:
 * the boot runs this on every start, and a schema library's first use costs milliseconds there.
 *
 * @module
 */
import type { EnvMergePolicy } from '@hanzo/kms';
import { closestName } from '@hanzo/kms/internal';

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
 * What an option must be: `string` (non-empty), `boolean`, `url` (http or https), `path` (starts with
 * `/`), `milliseconds` (a positive whole number), `interval` (a whole number of milliseconds, 0 for
 * off), `envMerge`, `authMethod`, `object`, `schema` (a Standard Schema), `writeEnv` (a boolean or an
 * environment object), `function`.
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

const isObject = (v: unknown): v is object => typeof v === 'object' && v !== null;
const isWholeMs = (v: unknown, min: number) => typeof v === 'number' && Number.isInteger(v) && v >= min;

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

/** Each rule's test and the words of its failure, phrased to follow the option's name. */
const RULES: Record<OptionRule, [test: (v: unknown) => boolean, problem: string]> = {
  string: [(v) => typeof v === 'string' && v.trim() !== '', 'must be a non-empty string'],
  boolean: [(v) => typeof v === 'boolean', 'must be true or false'],
  url: [isHttpUrl, 'must be an http(s) URL'],
  path: [(v) => typeof v === 'string' && v.startsWith('/'), 'must start with /'],
  milliseconds: [(v) => isWholeMs(v, 1), 'must be a positive whole number of milliseconds'],
  interval: [
    (v) => isWholeMs(v, 0),
    'must be a whole number of milliseconds, 0 or more (0 turns refresh off)',
  ],
  envMerge: [
    (v) => v === 'preserve' || v === 'override' || v === 'error',
    'must be one of preserve, override, error',
  ],
  authMethod: [
    (v) => v === 'universal-auth' || v === 'oidc' || v === 'jwt',
    'must be one of universal-auth, oidc, jwt',
  ],
  object: [isObject, 'must be an object'],
  schema: [
    (v) =>
      isObject(v) &&
      typeof (v as { '~standard'?: { validate?: unknown } })['~standard']?.validate === 'function',
    'must be a Standard Schema (e.g. a zod 4 object schema)',
  ],
  writeEnv: [(v) => typeof v === 'boolean' || isObject(v), 'must be true, false or an environment object'],
  function: [(v) => typeof v === 'function', 'must be a function'],
};

/** The rule of every {@link KmsNodeOptions} key. */
export const kmsNodeOptionRules: Readonly<Record<keyof KmsNodeOptions, OptionRule>> = Object.freeze({
  siteUrl: 'url',
  authMethod: 'authMethod',
  identityId: 'string',
  jwtFile: 'string',
  jwt: 'string',
  clientId: 'string',
  clientSecret: 'string',
  projectId: 'string',
  projectSlug: 'string',
  environment: 'string',
  secretPath: 'path',
  recursive: 'boolean',
  includeImports: 'boolean',
  expandSecretReferences: 'boolean',
  bootTimeout: 'milliseconds',
  envMerge: 'envMerge',
  credentialsDir: 'string',
  // process.env is not a plain object: any object will do.
  env: 'object',
});

/** What is wrong with an explicit option: its name and the problem, never its value. */
export interface OptionProblem {
  /** The option, e.g. `secretPath` (the first unknown key for a typo). */
  field: string;
  /** What is wrong, phrased to follow the option's name, e.g. `must start with /`. */
  problem: string;
}

/**
 * Checks explicit options against {@link kmsNodeOptionRules} plus the `extra` rules of the caller's own
 * options, and that `projectId` and `projectSlug` are not both set, without reading the environment,
 * the files or the network. Returns the first problem, or `undefined` when the options are well-formed.
 * `optionsOf` names whose options they are in the message for an unknown key (`is not an option of
 * <optionsOf>`), so an adapter reports them as its own.
 *
 * ```ts
 * findOptionProblem({ secretPath: 'app' }); // { field: 'secretPath', problem: 'must start with /' }
 * findOptionProblem({ loadAtBuild: 1 }, '@hanzo/kms-nextjs', { loadAtBuild: 'boolean' });
 * ```
 */
export function findOptionProblem(
  options: unknown,
  optionsOf = '@hanzo/kms-node',
  extra: Readonly<Record<string, OptionRule>> = {},
): OptionProblem | undefined {
  if (!isObject(options) || Array.isArray(options)) return { field: 'options', problem: 'must be an object' };
  const given = options as Record<string, unknown>;
  for (const field of Object.keys(given)) {
    const rule = extra[field] ?? kmsNodeOptionRules[field as keyof KmsNodeOptions];
    if (rule === undefined) {
      const hint = closestName(field, [...Object.keys(kmsNodeOptionRules), ...Object.keys(extra)]);
      return { field, problem: `is not an option of ${optionsOf}${hint ? ` (did you mean ${hint}?)` : ''}` };
    }
    const value = given[field];
    if (value === undefined) continue;
    const [test, problem] = RULES[rule];
    if (!test(value)) {
      // A path that is not even a string gets the string problem.
      return { field, problem: rule === 'path' && typeof value !== 'string' ? RULES.string[1] : problem };
    }
  }
  if (given.projectId !== undefined && given.projectSlug !== undefined) {
    return { field: 'projectId', problem: 'and option projectSlug are both set; pass one of them' };
  }
  return undefined;
}
