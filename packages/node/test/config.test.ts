import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../src/env.ts';
import { KmsNodeConfigError, resolveConfig } from '../src/index.ts';
import { findOptionProblem } from '../src/internal.ts';
import { emptyDir, errorOf } from './helpers.ts';

const SECRET = 'super-secret-client-secret-value';
const base = {
  KMS_SITE_URL: 'https://kms.example.test',
  KMS_CLIENT_ID: 'client-id-1',
  KMS_CLIENT_SECRET: SECRET,
  KMS_PROJECT_SLUG: 'shop',
  KMS_ENVIRONMENT: 'prod',
  KMS_CREDENTIALS_DIR: '/nonexistent/kms-auth',
};

describe('resolveConfig', () => {
  it('reads KMS_* variables with documented defaults', () => {
    const config = resolveConfig({ env: base });
    expect(config).toMatchObject({
      siteUrl: 'https://kms.example.test',
      clientId: 'client-id-1',
      projectSlug: 'shop',
      projectId: undefined,
      environment: 'prod',
      secretPath: '/',
      recursive: false,
      includeImports: true,
      expandSecretReferences: true,
      bootTimeout: 10_000,
      envMerge: 'preserve',
    });
    expect(config.clientSecret).toBe(SECRET);
    expect(config.sources).toMatchObject({ clientId: 'env:KMS_CLIENT_ID', envMerge: 'default' });
  });

  it('never shows the client secret when printed or serialised', () => {
    const config = resolveConfig({ env: base });
    expect(JSON.stringify(config)).not.toContain(SECRET);
    expect(inspect(config, { depth: 5 })).not.toContain(SECRET);
  });

  it('lets explicit options win over variables', () => {
    const config = resolveConfig({
      env: { ...base, KMS_PROJECT_ID: undefined },
      projectId: 'p-1',
      environment: 'dev',
      secretPath: '/app/',
      recursive: true,
      bootTimeout: 2500,
      envMerge: 'override',
    });
    expect(config).toMatchObject({
      projectId: 'p-1',
      projectSlug: undefined,
      environment: 'dev',
      secretPath: '/app',
      recursive: true,
      bootTimeout: 2500,
      envMerge: 'override',
    });
  });

  it('parses booleans, durations and the merge policy from variables', () => {
    const config = resolveConfig({
      env: {
        ...base,
        KMS_RECURSIVE: 'yes',
        KMS_INCLUDE_IMPORTS: '0',
        KMS_BOOT_TIMEOUT: '2.5',
        KMS_ENV_MERGE: 'ERROR',
        KMS_SECRET_PATH: '/app',
      },
    });
    expect(config).toMatchObject({
      recursive: true,
      includeImports: false,
      bootTimeout: 2500,
      envMerge: 'error',
    });
    expect(parseDuration('X', '500ms')).toBe(500);
    expect(parseDuration('X', '1m')).toBe(60_000);
  });

  it('accepts kms-go INFISICAL_UNIVERSAL_AUTH_* as fallbacks', () => {
    const env = {
      ...base,
      KMS_CLIENT_ID: undefined,
      KMS_CLIENT_SECRET: '',
      INFISICAL_UNIVERSAL_AUTH_CLIENT_ID: 'go-id',
      INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET: 'go-secret',
    };
    const config = resolveConfig({ env });
    expect(config.clientId).toBe('go-id');
    expect(config.clientSecret).toBe('go-secret');
    expect(config.sources.clientSecret).toBe('env:INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET');
  });

  it('reads credential files (trimmed) from KMS_CREDENTIALS_DIR when variables are absent', () => {
    const dir = emptyDir();
    writeFileSync(join(dir, 'clientId'), 'file-id\n');
    writeFileSync(join(dir, 'clientSecret'), `${SECRET}\n`);
    const config = resolveConfig({
      env: { ...base, KMS_CLIENT_ID: undefined, KMS_CLIENT_SECRET: undefined, KMS_CREDENTIALS_DIR: dir },
    });
    expect(config.clientId).toBe('file-id');
    expect(config.clientSecret).toBe(SECRET);
    expect(config.sources.clientId).toBe(`file:${join(dir, 'clientId')}`);
  });

  it.each([
    [{ KMS_SITE_URL: undefined }, /^KMS_SITE_URL is not set/],
    [{ KMS_SITE_URL: 'kms.example.test' }, /^KMS_SITE_URL must be an http\(s\) URL/],
    [
      { KMS_CLIENT_ID: undefined },
      /^KMS_CLIENT_ID is not set, nor INFISICAL_UNIVERSAL_AUTH_CLIENT_ID, and \/nonexistent\/kms-auth\/clientId does not exist/,
    ],
    [
      { KMS_CLIENT_SECRET: undefined },
      /^KMS_CLIENT_SECRET is not set.*\/nonexistent\/kms-auth\/clientSecret does not exist/,
    ],
    [{ KMS_PROJECT_SLUG: undefined }, /^KMS_PROJECT_SLUG is not set, nor KMS_PROJECT_ID/],
    [{ KMS_PROJECT_ID: 'abc' }, /^KMS_PROJECT_ID and KMS_PROJECT_SLUG are both set/],
    [{ KMS_ENVIRONMENT: '' }, /^KMS_ENVIRONMENT is not set/],
    [{ KMS_SECRET_PATH: 'app' }, /^KMS_SECRET_PATH must start with \//],
    [{ KMS_RECURSIVE: 'maybe' }, /^KMS_RECURSIVE must be true or false/],
    [{ KMS_BOOT_TIMEOUT: 'soon' }, /^KMS_BOOT_TIMEOUT must be a positive duration/],
    [{ KMS_BOOT_TIMEOUT: '0' }, /^KMS_BOOT_TIMEOUT must be a positive duration/],
    [{ KMS_ENV_MERGE: 'merge' }, /^KMS_ENV_MERGE must be preserve, override or error/],
  ])('names the variable at fault: %j', (patch, message) => {
    const error = errorOf(() => resolveConfig({ env: { ...base, ...patch } }));
    expect(error).toBeInstanceOf(KmsNodeConfigError);
    expect(error.message).toMatch(message);
    expect(error.message.split('\n')).toHaveLength(1);
    expect(error.message).not.toContain(SECRET);
  });

  it('names every missing variable at once, in one line', () => {
    const error = errorOf(() =>
      resolveConfig({ env: { KMS_CLIENT_SECRET: SECRET, KMS_CREDENTIALS_DIR: '/nonexistent/kms-auth' } }),
    );
    expect(error).toBeInstanceOf(KmsNodeConfigError);
    expect((error as KmsNodeConfigError).configKey).toBe('KMS_SITE_URL');
    expect(error.message).toMatch(
      /^4 settings are missing: KMS_SITE_URL is not set .*; KMS_CLIENT_ID is not set.*; KMS_PROJECT_SLUG is not set.*; KMS_ENVIRONMENT is not set \(the environment slug, e\.g\. prod\)$/,
    );
    expect(error.message.split('\n')).toHaveLength(1);
    expect(error.message).not.toContain(SECRET);
  });

  it('names the credential file at fault', () => {
    const dir = emptyDir();
    writeFileSync(join(dir, 'clientId'), '  \n');
    const env = { ...base, KMS_CLIENT_ID: undefined, KMS_CREDENTIALS_DIR: dir };
    expect(errorOf(() => resolveConfig({ env })).message).toBe(`${join(dir, 'clientId')} is empty`);
    const dir2 = emptyDir();
    mkdirSync(join(dir2, 'clientId'));
    expect(errorOf(() => resolveConfig({ env: { ...env, KMS_CREDENTIALS_DIR: dir2 } })).message).toBe(
      `${join(dir2, 'clientId')} is not a regular file`,
    );
  });

  it('rejects unknown and invalid options with their names (one zod schema)', () => {
    expect(errorOf(() => resolveConfig({ env: base, enviroment: 'x' } as never)).message).toBe(
      'option enviroment is not an option of @hanzo/kms-node (did you mean environment?)',
    );
    expect(errorOf(() => resolveConfig({ env: base, envMerge: 'merge' } as never)).message).toMatch(
      /^option envMerge must be one of preserve, override, error/,
    );
    expect(errorOf(() => resolveConfig({ env: base, bootTimeout: -1 })).message).toMatch(
      /^option bootTimeout/,
    );
    expect(errorOf(() => resolveConfig({ env: base, siteUrl: 'ftp://x' })).message).toMatch(
      /^option siteUrl/,
    );
  });

  it('says what a bad secretPath or bootTimeout option must be, and refuses both project options', () => {
    expect(errorOf(() => resolveConfig({ env: base, secretPath: 'app' })).message).toBe(
      'option secretPath must start with /',
    );
    expect(errorOf(() => resolveConfig({ env: base, bootTimeout: -1 })).message).toBe(
      'option bootTimeout must be a positive whole number of milliseconds',
    );
    expect(errorOf(() => resolveConfig({ env: base, projectId: 'a', projectSlug: 'b' })).message).toBe(
      'option projectId and option projectSlug are both set; pass one of them',
    );
    expect(findOptionProblem({ secrtPath: '/' }, 'KmsModule')).toEqual({
      field: 'secrtPath',
      problem: 'is not an option of KmsModule (did you mean secretPath?)',
    });
    expect(findOptionProblem({ secretPath: '/app', projectSlug: 'p' })).toBeUndefined();
  });
});
