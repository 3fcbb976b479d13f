// The settings table (src/settings.ts) is the one list of kms-node's configuration: the option rules,
// kmsVariables(), the boot fingerprint and the guide's configuration table must agree with it, and a
// boot reads each setting once.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startKmsTestServer, type KmsTestServer } from '@hanzo/kms-testing';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { configFingerprint } from '../src/env.ts';
import { bootFromEnvironment, type KmsNodeOptions, kmsVariables, resolveConfig } from '../src/index.ts';
import { BOOT_MARKER } from '../src/load-secrets.ts';
import { kmsNodeOptionRules } from '../src/options.ts';
import { SETTINGS, settingNames } from '../src/settings.ts';
import { emptyDir, packageDir } from './helpers.ts';

const allVariables = settingNames.flatMap((name) => SETTINGS[name].variables);

describe('the settings table', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('gives every option its rule', () => {
    expect(Object.keys(kmsNodeOptionRules)).toEqual(settingNames);
    for (const name of settingNames) expect(kmsNodeOptionRules[name], name).toBe(SETTINGS[name].rule);
  });

  it('names each variable once, KMS_* first', () => {
    expect(new Set(allVariables).size).toBe(allVariables.length);
    for (const name of settingNames) {
      const [first] = SETTINGS[name].variables;
      if (first !== undefined) expect(first, name).toMatch(/^KMS_/);
    }
  });

  it('kmsVariables() reads by name exactly the variables the table marks for runtimes without files', () => {
    for (const variable of allVariables) vi.stubEnv(variable, `value of ${variable}`);
    const expected = settingNames
      .filter((name) => SETTINGS[name].edge)
      .flatMap((name) => SETTINGS[name].variables);
    const read = kmsVariables();
    expect(Object.keys(read).sort()).toEqual([...expected].sort());
    for (const variable of expected) expect(read[variable]).toBe(`value of ${variable}`);
  });

  it('docs/node-boot.md lists every option with all its variables, in one row', () => {
    const guide = readFileSync(join(packageDir, '..', '..', 'docs', 'node-boot.md'), 'utf8');
    const rows = guide.split('\n').filter((line) => line.startsWith('| '));
    for (const name of settingNames) {
      if (name === 'env') continue; // the environment object: an option of the API only
      const row = rows.find((line) => line.split('|')[2]?.includes(`\`${name}\``));
      expect(row, `a row for option ${name}`).toBeDefined();
      for (const variable of SETTINGS[name].variables) expect(row, name).toContain(`\`${variable}\``);
    }
  });

  it('the fingerprint changes with each setting marked as what a config reads, and only with those', () => {
    const env = {
      KMS_SITE_URL: 'https://kms.example.test',
      KMS_CLIENT_ID: 'id',
      KMS_CLIENT_SECRET: 'secret-1',
      KMS_PROJECT_SLUG: 'shop',
      KMS_ENVIRONMENT: 'prod',
      KMS_CREDENTIALS_DIR: emptyDir(),
    };
    const base = configFingerprint(resolveConfig({ env }));
    const changed = {
      siteUrl: 'https://other.example.test',
      projectId: 'p-1',
      projectSlug: 'other',
      environment: 'dev',
      secretPath: '/api',
      recursive: true,
      includeImports: false,
      expandSecretReferences: false,
    } as const;
    const marked = settingNames.filter((name) => SETTINGS[name].fingerprint);
    expect(marked.sort()).toEqual(Object.keys(changed).sort());
    for (const [name, value] of Object.entries(changed)) {
      const options = name === 'projectId' ? { env, projectId: value as string } : { env, [name]: value };
      expect(configFingerprint(resolveConfig(options)), name).not.toBe(base);
    }
    const unmarked: KmsNodeOptions = {
      clientId: 'other-id',
      clientSecret: 'secret-2',
      bootTimeout: 5000,
      envMerge: 'override',
    };
    expect(configFingerprint(resolveConfig({ env, ...unmarked }))).toBe(base);
  });
});

describe('a boot resolves its configuration once', () => {
  let kms: KmsTestServer;
  beforeAll(async () => {
    kms = await startKmsTestServer({ secrets: { dev: { '/app': { API_KEY: 'key-9c2b' } } } });
  });
  afterAll(() => kms?.close());

  /** An environment that counts how often each KMS_* variable is read. */
  function countingEnv(values: Record<string, string>) {
    const reads = new Map<string, number>();
    const env = new Proxy<Record<string, string | undefined>>(
      { ...values },
      {
        get(target, key) {
          if (typeof key === 'string' && key.startsWith('KMS_')) reads.set(key, (reads.get(key) ?? 0) + 1);
          return Reflect.get(target, key);
        },
      },
    );
    return { env, reads };
  }

  const settingsOf = () => ({
    KMS_SITE_URL: kms.url,
    KMS_CLIENT_ID: kms.clientId,
    KMS_CLIENT_SECRET: kms.clientSecret,
    KMS_PROJECT_SLUG: kms.projectSlug,
    KMS_ENVIRONMENT: 'dev',
    KMS_SECRET_PATH: '/app',
    KMS_CREDENTIALS_DIR: emptyDir(),
  });

  for (const marker of [undefined, 'a-marker-of-another-configuration']) {
    it(`reads each setting once and loads${marker ? ' (marker of another configuration)' : ''}`, async () => {
      const { env, reads } = countingEnv({ ...settingsOf(), ...(marker ? { [BOOT_MARKER]: marker } : {}) });
      const outcome = await bootFromEnvironment({ env, stderr: { write: () => true }, exit: () => {} });
      expect(outcome.loaded).toBe(true);
      expect(env.API_KEY).toBe('key-9c2b');
      for (const variable of Object.keys(settingsOf())) expect(reads.get(variable), variable).toBe(1);
    });
  }

  it('skips a child that inherited the secrets but not the credentials, reading only what the config reads', async () => {
    const parent = settingsOf();
    const target: Record<string, string | undefined> = { ...parent };
    const first = await bootFromEnvironment({ env: target, stderr: { write: () => true }, exit: () => {} });
    expect(first.loaded).toBe(true);
    const { KMS_CLIENT_ID: _id, KMS_CLIENT_SECRET: _secret, ...child } = parent;
    const { env, reads } = countingEnv({ ...child, [BOOT_MARKER]: target[BOOT_MARKER]! });
    const outcome = await bootFromEnvironment({ env, stderr: { write: () => true }, exit: () => {} });
    expect(outcome).toEqual({ loaded: false, skipped: 'inherited' });
    expect(reads.get('KMS_ENVIRONMENT')).toBe(1);
    expect(reads.has('KMS_CLIENT_ID')).toBe(false);
  });
});
