/**
 * What every `kms` command shares: the location flags, their mapping to {@link KmsNodeOptions}, usage
 * errors and the one-line failure output.
 *
 * @module
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { closestName } from '@hanzo/kms/internal';
import { KmsBootError } from '../boot-error.js';
import { type KmsNodeOptions, parseDuration } from '../config.js';

/** Exit code of a command-line usage error (BSD EX_USAGE). */
export const EX_USAGE = 64;

/** A usage error: wrong flags or arguments. Printed with a pointer to `--help`. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Streams and environment of one CLI invocation (injectable for tests). */
export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: Record<string, string | undefined>;
  /** All of stdin as text, for values given as `KEY=-` (absent when there is no stdin to read). */
  readStdin?: () => Promise<string>;
}

/** Flags accepted by every command that reads secrets. */
export const locationFlags = {
  'site-url': { type: 'string' },
  project: { type: 'string' },
  'project-id': { type: 'string' },
  env: { type: 'string' },
  path: { type: 'string' },
  recursive: { type: 'boolean' },
  'no-recursive': { type: 'boolean' },
  'include-imports': { type: 'boolean' },
  'no-include-imports': { type: 'boolean' },
  expand: { type: 'boolean' },
  'no-expand': { type: 'boolean' },
  timeout: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

/** Help text of {@link locationFlags}. */
export const locationHelp = `Where to read (flags win over KMS_* variables):
  --site-url URL            KMS server URL (KMS_SITE_URL)
  --project SLUG            project slug (KMS_PROJECT_SLUG)
  --project-id ID           project id (KMS_PROJECT_ID)
  --env SLUG                environment slug, e.g. prod (KMS_ENVIRONMENT)
  --path PATH               folder path, default / (KMS_SECRET_PATH)
  --recursive               include sub-folders (KMS_RECURSIVE)
  --[no-]include-imports    merge imported folders, default on (KMS_INCLUDE_IMPORTS)
  --[no-]expand             expand secret references, default on (KMS_EXPAND_SECRET_REFERENCES)
  --timeout DURATION        deadline of login + fetch, default 10s (KMS_BOOT_TIMEOUT)
  -h, --help                show this help

Credentials come only from KMS_CLIENT_ID / KMS_CLIENT_SECRET (or INFISICAL_UNIVERSAL_AUTH_CLIENT_ID /
_CLIENT_SECRET) or the files clientId / clientSecret in KMS_CREDENTIALS_DIR (default /etc/kms/auth),
or, for OIDC Auth, KMS_IDENTITY_ID with KMS_OIDC_JWT_FILE (read again at every login) or KMS_OIDC_JWT;
never from flags (flags show up in process listings).`;

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** Parses `args` with node:util parseArgs; unknown flags become a {@link UsageError}. */
export function parseFlags<O extends NonNullable<ParseArgsConfig['options']>>(
  command: string,
  args: string[],
  options: O,
  allowPositionals: boolean,
): { values: Values; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args, options, allowPositionals, strict: true });
    return { values: values as Values, positionals };
  } catch (error) {
    throw new UsageError(`${command}: ${describeParseError(error, options)}`);
  }
}

/** parseArgs' message in our words; an unknown option gets the option it was probably meant to be. */
function describeParseError(error: unknown, options: NonNullable<ParseArgsConfig['options']>): string {
  const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
  const unknown = /^Unknown option '(-{1,2})([^'=]+)'/.exec(message);
  if (!unknown) return message.replace(/^TypeError \[[A-Z_]+\]: /, '');
  const [, dashes, name] = unknown as unknown as [string, string, string];
  const hint = dashes === '--' ? closestName(name, Object.keys(options)) : undefined;
  return `unknown option ${dashes}${name}${hint ? ` (did you mean --${hint}?)` : ''}`;
}

function toggle(values: Values, name: string): boolean | undefined {
  if (values[`no-${name}`]) return false;
  if (values[name]) return true;
  return undefined;
}

/** Maps the location flags to options for `resolveConfig` (flags are explicit options: they win over env). */
export function optionsFromFlags(values: Values, env: Record<string, string | undefined>): KmsNodeOptions {
  const options: KmsNodeOptions = { env };
  const str = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
  if (str('site-url')) options.siteUrl = str('site-url')!;
  if (str('project') && str('project-id'))
    throw new UsageError('--project and --project-id: pass one of them');
  if (str('project')) options.projectSlug = str('project')!;
  if (str('project-id')) options.projectId = str('project-id')!;
  if (str('env')) options.environment = str('env')!;
  if (str('path') !== undefined) {
    const path = str('path')!;
    if (!path.startsWith('/')) throw new UsageError(`--path must start with /, got "${path}"`);
    options.secretPath = path;
  }
  const recursive = toggle(values, 'recursive');
  if (recursive !== undefined) options.recursive = recursive;
  const imports = toggle(values, 'include-imports');
  if (imports !== undefined) options.includeImports = imports;
  const expand = toggle(values, 'expand');
  if (expand !== undefined) options.expandSecretReferences = expand;
  if (str('timeout')) {
    try {
      options.bootTimeout = parseDuration('--timeout', str('timeout')!);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }
  return options;
}

/** Prints a failure as one line and returns its exit code. */
export function reportFailure(io: CliIo, error: unknown): number {
  if (error instanceof UsageError) {
    io.stderr.write(`kms: ${error.message} (see kms --help)\n`);
    return EX_USAGE;
  }
  if (error instanceof KmsBootError) {
    io.stderr.write(`kms: ${error.message}\n`);
    return error.exitCode;
  }
  const name = error instanceof Error ? error.name : typeof error;
  io.stderr.write(`kms: unexpected ${name}\n`);
  return 70;
}
