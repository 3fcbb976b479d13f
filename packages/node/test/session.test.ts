// The secrets session against the reference server over real HTTP: load, schema, env writing,
// refresh (single-flight, change events, env following), status, failures with their source, close,
// and the runtime-neutral build of `@hanzo/kms-node/env`.
import { inspect } from 'node:util';
import { startKmsTestServer, type KmsTestServer } from '@hanzo/kms-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { createSecretsSession as createNeutralSession } from '../src/env-entry.ts';
import { createSecretsSession, KmsBootError, type SecretsChange } from '../src/index.ts';
import { closedPortUrl, emptyDir } from './helpers.ts';

let kms: KmsTestServer;
const DB = 'postgres://app:pw-51ab@db.internal/app';

beforeAll(async () => {
  kms = await startKmsTestServer({ secrets: { dev: { '/svc': { DATABASE_URL: DB, PORT: '8080' } } } });
});
afterAll(() => kms?.close());

function connection(extra: Record<string, unknown> = {}) {
  return {
    siteUrl: kms.url,
    clientId: kms.clientId,
    clientSecret: kms.clientSecret,
    projectSlug: kms.projectSlug,
    environment: 'dev',
    secretPath: '/svc',
    credentialsDir: emptyDir(),
    env: {},
    ...extra,
  };
}

describe('createSecretsSession', () => {
  it('loads, validates with the schema and hands out frozen values that print redacted', async () => {
    const schema = z.object({ DATABASE_URL: z.string(), PORT: z.coerce.number() });
    const session = createSecretsSession(connection({ schema }));
    try {
      await session.load();
      expect(session.values.PORT).toBe(8080);
      expect(session.secrets.PORT).toBe('8080');
      expect(Object.isFrozen(session.values)).toBe(true);
      for (const shown of [
        inspect(session.values),
        JSON.stringify(session.secrets),
        inspect(session),
        JSON.stringify(session),
      ]) {
        expect(shown).not.toContain(DB);
        expect(shown).not.toContain(kms.clientSecret);
      }
      expect(session.status()).toMatchObject({ status: 'up', secrets: 2, environment: 'dev', closed: false });
    } finally {
      await session.close();
    }
    expect(session.status()).toMatchObject({ status: 'down', closed: true });
    await expect(session.refresh()).rejects.toThrow(/refresh\(\) after shutdown/);
  });

  it('writeEnv: merges at load under envMerge, then follows changes only where KMS put the value', async () => {
    const target: Record<string, string | undefined> = { PORT: 'operator', EMPTY_ONE: '' };
    await kms.setSecret('dev', '/svc', 'EMPTY_ONE', 'filled');
    const changes: SecretsChange[] = [];
    const session = createSecretsSession(
      connection({ writeEnv: target, onChange: (c: SecretsChange) => void changes.push(c) }),
    );
    try {
      const { merge } = await session.load();
      expect(merge).toEqual({
        loaded: ['DATABASE_URL', 'EMPTY_ONE'],
        skipped: ['PORT'],
        conflicts: ['PORT'],
      });
      expect(target).toMatchObject({ DATABASE_URL: DB, PORT: 'operator', EMPTY_ONE: 'filled' });
      await kms.setSecret('dev', '/svc', 'DATABASE_URL', 'postgres://rotated');
      await kms.setSecret('dev', '/svc', 'PORT', '9090');
      // Two refreshes at once share one request and one change.
      const [a, b] = await Promise.all([session.refresh(), session.refresh()]);
      expect(a).toBe(b);
      expect(a?.changed).toEqual(['DATABASE_URL', 'PORT']);
      expect(changes).toHaveLength(1);
      expect(target.DATABASE_URL).toBe('postgres://rotated');
      expect(target.PORT).toBe('operator');
      expect(await session.refresh()).toBeUndefined();
    } finally {
      await session.close();
      await kms.setSecret('dev', '/svc', 'DATABASE_URL', DB);
      await kms.setSecret('dev', '/svc', 'PORT', '8080');
      await kms.deleteSecret('dev', '/svc', 'EMPTY_ONE');
    }
  });

  it('a refresh the schema refuses keeps the previous values and reports down with the keys', async () => {
    const schema = z.object({ PORT: z.coerce.number().int() });
    const session = createSecretsSession(connection({ schema }));
    try {
      await session.load();
      await kms.setSecret('dev', '/svc', 'PORT', 'not-a-port');
      const error = await session.refresh().catch((e: unknown) => e as KmsBootError);
      expect(error).toBeInstanceOf(KmsBootError);
      expect((error as KmsBootError).reason).toBe('invalid-secrets');
      expect((error as KmsBootError).keys).toEqual(['PORT']);
      expect(session.values.PORT).toBe(8080);
      expect(session.status()).toMatchObject({ status: 'down' });
      expect(session.status().lastError).toMatch(
        /invalid secrets in project .*, environment dev, path \/svc: PORT/,
      );
      expect(session.status().lastError).not.toContain('not-a-port');
    } finally {
      await session.close();
      await kms.setSecret('dev', '/svc', 'PORT', '8080');
    }
  });

  it('start(): the background refresh finds a change and tells the listeners', async () => {
    const session = createSecretsSession(connection({ refreshInterval: 50 }));
    const seen: string[][] = [];
    session.onChange((change) => void seen.push(change.keys));
    try {
      await session.load();
      session.start();
      await kms.setSecret('dev', '/svc', 'ADDED_LATER', 'x');
      await expect.poll(() => seen.flat(), { timeout: 5000 }).toContain('ADDED_LATER');
      expect(session.secrets.ADDED_LATER).toBe('x');
    } finally {
      await session.close();
      await kms.deleteSecret('dev', '/svc', 'ADDED_LATER');
    }
  });

  it('failures carry their source in a field and at the start of the one-line message', async () => {
    const bad = (() => {
      try {
        createSecretsSession({ ...connection(), source: 'MyWorker', secretPath: 'svc' });
      } catch (error) {
        return error as KmsBootError;
      }
    })();
    expect(bad).toBeInstanceOf(KmsBootError);
    expect(bad?.source).toBe('MyWorker');
    expect(bad?.message).toBe('MyWorker: option secretPath must start with /');

    const session = createSecretsSession(
      connection({ siteUrl: await closedPortUrl(), source: 'MyWorker', bootTimeout: 2000 }),
    );
    const error = (await session.load().catch((e: unknown) => e)) as KmsBootError;
    expect(error.reason).toBe('unreachable');
    expect(error.source).toBe('MyWorker');
    expect(error.message).toMatch(/^MyWorker: KMS server at http:\/\/127\.0\.0\.1:\d+ is unreachable$/);
    // A failed load closes the session; the same error is kept.
    expect(session.status().closed).toBe(true);
    await expect(session.load()).rejects.toBe(error);
  });
});

describe('createSecretsSession of @hanzo/kms-node/env (no filesystem)', () => {
  it('loads through the global fetch from options and KMS_* variables', async () => {
    const { credentialsDir: _dir, ...rest } = connection();
    const session = createNeutralSession(rest);
    try {
      await session.load();
      expect(session.secrets.DATABASE_URL).toBe(DB);
    } finally {
      await session.close();
    }
  });

  it('refuses a JWT file: there is nothing to read it with', () => {
    expect(() =>
      createNeutralSession({
        siteUrl: kms.url,
        projectSlug: 'p',
        environment: 'dev',
        env: { KMS_IDENTITY_ID: 'id', KMS_OIDC_JWT_FILE: '/var/run/svid.jwt' },
      }),
    ).toThrow(/KMS_OIDC_JWT_FILE cannot be read on this runtime/);
  });
});
