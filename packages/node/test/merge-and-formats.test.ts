import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { toDotenv, toJson, toK8sSecret, toYaml } from '../src/cli/export-formats.ts';
import { toBootError } from '../src/boot-error.ts';
import { defineSecrets, diffSecrets, KmsBootError, KmsEnvConflictError, mergeIntoEnv } from '../src/index.ts';
import * as z from 'zod';

describe('mergeIntoEnv', () => {
  const secrets = { A: 'kms-a', B: 'kms-b', C: 'same' };
  it('preserve: existing variables win, reported as skipped and conflicting', () => {
    const env: Record<string, string | undefined> = { A: 'local', C: 'same' };
    const report = mergeIntoEnv(env, secrets, 'preserve');
    expect(env).toEqual({ A: 'local', B: 'kms-b', C: 'same' });
    expect(report).toEqual({ loaded: ['B', 'C'], skipped: ['A'], conflicts: ['A'] });
  });
  it('preserve: an empty variable counts as unset and is filled (as in the SDK and kms-go)', () => {
    const env: Record<string, string | undefined> = { A: '' };
    expect(mergeIntoEnv(env, secrets, 'preserve').skipped).toEqual([]);
    expect(env.A).toBe('kms-a');
  });
  it('override: KMS wins', () => {
    const env: Record<string, string | undefined> = { A: 'local' };
    const report = mergeIntoEnv(env, secrets, 'override');
    expect(env).toEqual({ A: 'kms-a', B: 'kms-b', C: 'same' });
    expect(report).toEqual({ loaded: ['A', 'B', 'C'], skipped: [], conflicts: ['A'] });
  });
  it('error: refuses on conflict, names the keys, writes nothing', () => {
    const env: Record<string, string | undefined> = { A: 'local', C: 'same' };
    let conflict: unknown;
    try {
      mergeIntoEnv(env, secrets, 'error');
    } catch (e) {
      conflict = e;
    }
    expect(conflict).toBeInstanceOf(KmsEnvConflictError);
    // What the boot, `kms run` and the session report it as.
    const error = toBootError(conflict, {
      siteUrl: 'http://x',
      project: 'p',
      environment: 'e',
      secretPath: '/',
    });
    expect(error).toBeInstanceOf(KmsBootError);
    expect((error as KmsBootError).reason).toBe('env-conflict');
    expect((error as KmsBootError).exitCode).toBe(65);
    expect((error as KmsBootError).message).toBe(
      'refusing to load: variable A already set to a different value (KMS_ENV_MERGE=error)',
    );
    expect((error as Error).message).not.toContain('kms-a');
    expect((error as Error).message).not.toContain('local');
    expect(env).toEqual({ A: 'local', C: 'same' });
  });
});

describe('diffSecrets', () => {
  it('reports added, changed and removed names; values print redacted', () => {
    const change = diffSecrets({ A: '1', B: '2', C: '3' }, { A: '1', B: 'two', D: '4' });
    expect(change).toMatchObject({ added: ['D'], changed: ['B'], removed: ['C'], keys: ['B', 'C', 'D'] });
    expect(change?.values).toEqual({ B: 'two', D: '4' });
    expect(inspect(change)).not.toContain('two');
    expect(diffSecrets({ A: '1' }, { A: '1' })).toBeUndefined();
  });
});

describe('export formats', () => {
  const values = { B: 'line1\nline2 "q" \\ $HOME', A: 'plain' };
  it('dotenv', () => {
    expect(toDotenv(values)).toEqual({ text: "A='plain'\nB='line1\nline2 \"q\" \\ $HOME'\n" });
  });
  it('json', () => {
    expect(JSON.parse(toJson(values))).toEqual(values);
    expect(Object.keys(JSON.parse(toJson(values)))).toEqual(['A', 'B']);
  });
  it('yaml', () => {
    expect(toYaml(values)).toBe('"A": "plain"\n"B": "line1\\nline2 \\"q\\" \\\\ $HOME"\n');
    expect(toYaml({})).toBe('{}\n');
  });
  it('k8s-secret', () => {
    const result = toK8sSecret(values, {
      name: 'api',
      namespace: 'prod',
      annotations: { 'kms.hanzo.ai/x': 'y' },
    });
    expect('manifest' in result && result.manifest).toBe(
      [
        'apiVersion: v1',
        'kind: Secret',
        'metadata:',
        '  name: "api"',
        '  namespace: "prod"',
        '  labels:',
        '    app.kubernetes.io/managed-by: "hanzo-kms"',
        '  annotations:',
        '    kms.hanzo.ai/x: "y"',
        'type: Opaque',
        'data:',
        `  "A": "${Buffer.from('plain').toString('base64')}"`,
        `  "B": "${Buffer.from(values.B).toString('base64')}"`,
        '',
      ].join('\n'),
    );
    expect(toK8sSecret({ 'BAD KEY': 'x' }, { name: 'a' })).toEqual({ invalidKeys: ['BAD KEY'] });
  });
});

describe('defineSecrets', () => {
  const schema = z.object({
    DATABASE_URL: z.url(),
    PORT: z.coerce.number().int().default(3000),
    API_KEY: z.string().min(8),
  });
  it('returns a typed, parsed object', () => {
    const config = defineSecrets(schema, {
      env: { DATABASE_URL: 'postgres://db/app', API_KEY: 'k-123456789', PORT: '8080' },
    });
    const port: number = config.PORT;
    expect(port).toBe(8080);
    expect(config.DATABASE_URL).toBe('postgres://db/app');
  });
  it('fails with every missing or invalid key named, never a value', () => {
    let error: unknown;
    try {
      defineSecrets(schema, { env: { API_KEY: 'short7!', PORT: 'not-a-port-9' } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(KmsBootError);
    const e = error as KmsBootError;
    expect(e.reason).toBe('invalid-secrets');
    expect(e.exitCode).toBe(65);
    expect([...e.keys]).toEqual(['API_KEY', 'DATABASE_URL', 'PORT']);
    expect(e.message).toMatch(/^invalid secrets: API_KEY \(.+\), DATABASE_URL \(missing\), PORT \(.+\)$/);
    expect(e.message).not.toContain('short7!');
    expect(e.message).not.toContain('not-a-port-9');
  });
  it('redacts a value quoted by a custom message', () => {
    const leaky = z.object({
      TOKEN: z.string().refine((v) => v.startsWith('tok_'), { error: (i) => `bad ${String(i.input)}` }),
    });
    let error: unknown;
    try {
      defineSecrets(leaky, { env: { TOKEN: 'leaked-value' } });
    } catch (e) {
      error = e;
    }
    expect((error as Error).message).toBe('invalid secrets: TOKEN (bad [REDACTED])');
  });
});
