import { inspect } from 'node:util';
import * as nextConstants from 'next/constants.js';
import { type KmsTestServer, startKmsTestServer } from '@hanzo/kms-testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { carrier, resetCarrier } from '../src/store.js';
import {
  KmsNextError,
  kms as kmsHandle,
  PHASE_DEVELOPMENT_SERVER,
  PHASE_PRODUCTION_BUILD,
  PHASE_PRODUCTION_SERVER,
  registerKms,
  withKms,
} from '../src/index.js';
import { getSecret, getSecrets } from '../src/server.js';

const ctx = { defaultConfig: {} };
let kms: KmsTestServer;
const SECRET_VALUE = 'postgres://user:pw@db:5432/app';

function connection(extra: Record<string, unknown> = {}) {
  return {
    siteUrl: kms.url,
    clientId: kms.clientId,
    clientSecret: kms.clientSecret,
    projectSlug: kms.projectSlug,
    environment: 'dev',
    credentialsDir: '/nonexistent',
    env: {},
    writeEnv: false,
    ...extra,
  };
}

beforeAll(async () => {
  kms = await startKmsTestServer({ secrets: { dev: { '/': { DATABASE_URL: SECRET_VALUE, FEATURE: 'x' } } } });
});
afterAll(() => kms?.close());
afterEach(() => {
  resetCarrier();
  delete process.env.NEXT_PHASE;
  delete process.env.KMS_NEXT_LOAD_AT_BUILD;
});

describe('phase constants', () => {
  it('match next/constants', () => {
    expect(PHASE_PRODUCTION_BUILD).toBe(nextConstants.PHASE_PRODUCTION_BUILD);
    expect(PHASE_PRODUCTION_SERVER).toBe(nextConstants.PHASE_PRODUCTION_SERVER);
    expect(PHASE_DEVELOPMENT_SERVER).toBe(nextConstants.PHASE_DEVELOPMENT_SERVER);
  });
});

describe('withKms config forms', () => {
  const unreachable = { ...{ siteUrl: 'http://127.0.0.1:9', clientId: 'a', clientSecret: 'b' } };

  it('keeps an object config and adds serverExternalPackages, fetching nothing at build', async () => {
    const wrapped = withKms({ reactStrictMode: true, serverExternalPackages: ['sharp'] }, unreachable);
    const config = await wrapped(PHASE_PRODUCTION_BUILD, ctx);
    expect(config).toEqual({
      reactStrictMode: true,
      serverExternalPackages: ['sharp', '@hanzo/kms', '@hanzo/kms-node'],
    });
    expect(config.env).toBeUndefined();
    expect(carrier().ready).toBeUndefined();
  });

  it('passes phase and context to a function config', async () => {
    const seen: unknown[] = [];
    const wrapped = withKms((phase, context) => {
      seen.push(phase, context);
      return { basePath: '/x' };
    });
    expect(await wrapped(PHASE_PRODUCTION_BUILD, ctx)).toMatchObject({ basePath: '/x' });
    expect(seen).toEqual([PHASE_PRODUCTION_BUILD, ctx]);
  });

  it('awaits an async function config', async () => {
    const wrapped = withKms(async () => ({ trailingSlash: true }));
    expect(await wrapped(PHASE_PRODUCTION_BUILD, ctx)).toMatchObject({ trailingSlash: true });
  });

  it('refuses KMS variables in next.config env (inlined into browser JS)', async () => {
    const wrapped = withKms({ env: { KMS_CLIENT_SECRET: 'x' } });
    await expect(wrapped(PHASE_PRODUCTION_BUILD, ctx)).rejects.toThrow(
      /KMS_CLIENT_SECRET.*inlined into browser/,
    );
  });

  it('loads secrets at server start into the store and process.env', async () => {
    const wrapped = withKms({}, connection({ writeEnv: true, env: undefined }));
    const saved = { ...process.env };
    for (const k of Object.keys(process.env)) if (k.startsWith('KMS_')) delete process.env[k];
    try {
      await wrapped(PHASE_PRODUCTION_SERVER, ctx);
      expect(process.env.DATABASE_URL).toBe(SECRET_VALUE);
      expect(await getSecret('DATABASE_URL')).toBe(SECRET_VALUE);
      expect(kmsHandle.loaded).toBe(true);
    } finally {
      delete process.env.DATABASE_URL;
      delete process.env.FEATURE;
      delete process.env.KMS_BOOT_LOADED;
      Object.assign(process.env, saved);
    }
  });

  it('fails at server start with a one-line message and no credential', async () => {
    const wrapped = withKms(
      {},
      {
        ...unreachable,
        clientSecret: 'super-secret-value',
        projectSlug: 'p',
        environment: 'e',
        env: {},
        bootTimeout: 2000,
      },
    );
    const error = await wrapped(PHASE_PRODUCTION_SERVER, ctx).catch((e: Error) => e);
    expect(error).toBeInstanceOf(KmsNextError);
    expect((error as Error).message).toMatch(
      /could not load secrets at next start: KMS server at http:\/\/127.0.0.1:9 is unreachable/,
    );
    expect((error as Error).message).not.toContain('super-secret-value');
    // Printed (Next uses util.inspect) as that one line; the cause stays on the error.
    expect(inspect(error)).toBe((error as Error).message);
    expect((error as Error).cause).toBeInstanceOf(Error);
  });
});

describe('option validation', () => {
  it.each([
    [
      { enviroment: 'prod' },
      /option enviroment is not an option of @hanzo\/kms-nextjs \(did you mean environment\?\)/,
    ],
    [{ siteUrl: 'ftp://x' }, /option siteUrl must be an http\(s\) URL/],
    [{ refreshInterval: -1 }, /option refreshInterval must be a whole number of milliseconds, 0 or more/],
    [{ loadAtBuild: 'yes' }, /option loadAtBuild must be true or false/],
    [{ envMerge: 'merge' }, /option envMerge must be one of preserve, override, error/],
    [{ clientSecret: '' }, /option clientSecret must be a non-empty string/],
    [{ projectId: 'a', projectSlug: 'b' }, /option projectId and option projectSlug/],
  ])('%j', (options, message) => {
    expect(() => withKms({}, options as never)).toThrow(message);
    expect(() => withKms({}, options as never)).toThrow(KmsNextError);
  });

  it('never echoes a credential value', () => {
    expect(() => withKms({}, { clientSecret: 42 } as never)).toThrow(
      /^\[@hanzo\/kms-nextjs\] withKms: option clientSecret must be a non-empty string$/,
    );
  });
});

describe('registerKms and the server entry', () => {
  it('is a no-op during next build', async () => {
    process.env.NEXT_PHASE = PHASE_PRODUCTION_BUILD;
    await registerKms(connection());
    expect(carrier().ready).toBeUndefined();
    await expect(getSecret('DATABASE_URL')).rejects.toThrow(/while `next build` prerenders.*connection\(\)/);
  });

  it('loads once however often it is called', async () => {
    await Promise.all([registerKms(connection()), registerKms(connection()), kmsHandle.ready()]);
    const first = carrier().ready;
    await registerKms(connection());
    expect(carrier().ready).toBe(first);
    expect(await getSecret('FEATURE')).toBe('x');
  });

  it('prints values redacted and names a missing key', async () => {
    await registerKms(connection());
    const all = await getSecrets();
    expect(all.DATABASE_URL).toBe(SECRET_VALUE);
    expect(JSON.stringify(all)).not.toContain(SECRET_VALUE);
    expect(Object.isFrozen(all)).toBe(true);
    await expect(getSecret('NOPE')).rejects.toThrow(
      /secret NOPE does not exist in the loaded secrets \(2 keys loaded\)/,
    );
  });

  it('re-reads in the background every refreshInterval ms, serving the current values meanwhile', async () => {
    await registerKms(connection({ refreshInterval: 50 }));
    expect(await getSecret('FEATURE')).toBe('x');
    await kms.setSecret('dev', '/', 'FEATURE', 'y');
    await expect.poll(() => getSecret('FEATURE'), { timeout: 5000 }).toBe('y');
    await kms.setSecret('dev', '/', 'FEATURE', 'x');
  });
});
