/**
 * Configuration resolution for boot-loading: explicit options, then environment variables, then the
 * credential files of a directory. The first two live in `env.ts` (no `node:` imports, published as
 * `@hanzo/kms-node/env`); this module adds the files.
 *
 * @module
 */
import { KmsNodeConfigError } from './boot-error.js';
import { builtin } from './builtins.js';
import type { KmsAuthOptions } from '@hanzo/kms';
import {
  clientAuthOf,
  completeLogin,
  type KmsNodeOptions,
  type LocatedConfig,
  type ResolvedKmsConfig,
  resolveCheckedOptions,
  resolveConfigFromEnv,
} from './env.js';

export * from './env.js';

/** Reads a credential file, trimmed. `undefined` when it does not exist; an error names the file otherwise. */
function fromFile(path: string): string | undefined {
  let isFile: boolean;
  try {
    isFile = builtin('node:fs').statSync(path).isFile();
  } catch (error) {
    if (
      (error as NodeJS.ErrnoException).code === 'ENOENT' ||
      (error as NodeJS.ErrnoException).code === 'ENOTDIR'
    )
      return undefined;
    throw new KmsNodeConfigError(
      path,
      `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  if (!isFile) throw new KmsNodeConfigError(path, 'is not a regular file');
  let text: string;
  try {
    text = builtin('node:fs').readFileSync(path, 'utf8');
  } catch (error) {
    throw new KmsNodeConfigError(
      path,
      `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  const value = text.trim();
  if (!value) throw new KmsNodeConfigError(path, 'is empty');
  return value;
}

/** Node's {@link CredentialFileReader}: `credentialsDir/fileName`, read with `node:fs`. */
function readCredentialFile(credentialsDir: string, fileName: 'clientId' | 'clientSecret') {
  // The directory comes from configuration at run time: tell Next's file tracing not to follow it.
  const path = builtin('node:path').join(/*turbopackIgnore: true*/ credentialsDir, fileName);
  return { path, value: fromFile(path) };
}

/**
 * Resolves the boot configuration: explicit `options` first, then environment variables, then the
 * credential files `clientId` and `clientSecret` in `credentialsDir` (default `/etc/kms/auth`,
 * `KMS_CREDENTIALS_DIR` to change it). kms-go's `INFISICAL_UNIVERSAL_AUTH_CLIENT_ID` / `_CLIENT_SECRET`
 * are accepted after `KMS_CLIENT_ID` / `KMS_CLIENT_SECRET`.
 *
 * Does no network I/O. Throws a {@link KmsNodeConfigError} whose message is one line naming the variable,
 * option or file at fault; the client secret is never part of a message.
 */
export function resolveConfig(options: KmsNodeOptions = {}): ResolvedKmsConfig {
  return resolveConfigFromEnv(options, readCredentialFile);
}

/** @internal {@link resolveConfig} for options already checked (the session's platform, `load-secrets.ts`). */
export function resolveCheckedConfig(options: KmsNodeOptions): ResolvedKmsConfig {
  return resolveCheckedOptions(options, readCredentialFile);
}

/** @internal `completeLogin` of `env.ts` with the credential files of Node (the boot, `boot.ts`). */
export function addLogin(located: LocatedConfig, options: KmsNodeOptions): ResolvedKmsConfig {
  return completeLogin(located, options, readCredentialFile);
}

/**
 * The `auth` option of a `KmsClient` for a resolved config, on Node: an OIDC or JWT Auth token file
 * (`KMS_OIDC_JWT_FILE`) and a `clientSecret` credential file are read again at every login, so a
 * JWT-SVID a SPIFFE helper rewrites, or a client secret rotated by rewriting its file, is always fresh.
 * A file that is missing or empty at login time fails that login with a message naming it.
 */
export function clientAuth(config: ResolvedKmsConfig): KmsAuthOptions {
  return clientAuthOf(config, (path) => {
    const value = fromFile(path);
    if (value === undefined)
      throw new KmsNodeConfigError(path, 'does not exist (a credential file read at login)');
    return value;
  });
}
