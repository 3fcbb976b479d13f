import 'reflect-metadata';
import { inspect } from 'node:util';
import { KmsConfigError } from '@hanzo/kms';
import { describe, expect, it } from 'vitest';
import { KmsModule } from '../src/index.js';
import { checkModuleOptions, protectOptions } from '../src/options.js';

const good = {
  siteUrl: 'http://127.0.0.1:1',
  clientId: 'id',
  clientSecret: 'super-secret-value',
  projectSlug: 'p',
  environment: 'dev',
};

describe('option validation', () => {
  it.each([
    [{ siteUrl: 'ftp://kms.example.com' }, /^KmsModule option siteUrl must be an http\(s\) URL$/],
    [{ bootTimeout: -5 }, /^KmsModule option bootTimeout must be a positive whole number of milliseconds$/],
    [{ projectSlug: 42 }, /^KmsModule option projectSlug must be a non-empty string$/],
    [{ secretPath: 'app' }, /^KmsModule option secretPath must start with \/$/],
    [{ envMerge: 'clobber' }, /^KmsModule option envMerge must be one of preserve, override, error$/],
    [
      { clientSecrte: 'x' },
      /^KmsModule option clientSecrte is not an option of KmsModule \(did you mean clientSecret\?\)$/,
    ],
    [{ refreshInterval: 1.5 }, /^KmsModule option refreshInterval must be a whole number/],
    [{ populateEnv: 'yes' }, /^KmsModule option populateEnv must be true or false$/],
    [{ schema: { parse() {} } }, /^KmsModule option schema must be a Standard Schema/],
    [{ projectId: 'x' }, /^KmsModule option projectId and option projectSlug are both set/],
  ])('forRoot(%o) throws a KmsConfigError naming the option', (bad, message) => {
    let error: unknown;
    try {
      KmsModule.forRoot({ ...good, ...bad } as never);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(KmsConfigError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('super-secret-value');
  });

  it('rejects a non-object', () => {
    expect(() => checkModuleOptions(null)).toThrow('KmsModule option options must be an object');
  });

  it('accepts good options and isGlobal', () => {
    expect(() => KmsModule.forRoot({ ...good, isGlobal: false })).not.toThrow();
    expect(KmsModule.forRoot(good).global).toBe(true);
    expect(KmsModule.forRoot({ ...good, isGlobal: false }).global).toBe(false);
  });

  it('never imports a ConfigModule (or anything else) behind the user', () => {
    const root = KmsModule.forRoot(good);
    expect(root.imports ?? []).toEqual([]);
    const async = KmsModule.forRootAsync({ useFactory: () => good });
    expect(async.imports ?? []).toEqual([]);
    const tokens = (root.providers ?? []).map((p) => (typeof p === 'function' ? p.name : String(p.provide)));
    expect(tokens.join(' ')).not.toMatch(/Config(Service|Module)|CONFIGURATION/);
  });
});

describe('print safety of options', () => {
  it('keeps the client secret readable but out of inspect and JSON', () => {
    const options = protectOptions({ ...good, env: { OTHER_SECRET: 'also-secret' } });
    expect(options.clientSecret).toBe('super-secret-value');
    for (const text of [
      inspect(options, { depth: 5 }),
      JSON.stringify(options),
      String(Object.keys(options)),
    ]) {
      expect(text).not.toContain('super-secret-value');
      expect(text).not.toContain('also-secret');
    }
    expect(JSON.stringify(options)).toContain('[REDACTED]');
  });

  it('the options provider of forRoot holds the protected copy', () => {
    const provider = (KmsModule.forRoot(good).providers ?? []).find(
      (p) => typeof p === 'object' && 'useValue' in p,
    ) as { useValue: object };
    expect(inspect(provider, { depth: 5 })).not.toContain('super-secret-value');
    expect(JSON.stringify(provider)).not.toContain('super-secret-value');
  });
});
