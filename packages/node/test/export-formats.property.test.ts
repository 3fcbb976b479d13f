// Property tests: every value `kms export` writes must come back exactly through the parsers users
// feed it to (Node's util.parseEnv, the dotenv package, a real shell, a real YAML parser), or be refused.
import { execFileSync } from 'node:child_process';
import { parseEnv } from 'node:util';
import dotenv from 'dotenv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { dotenvQuote, toDotenv, toDotenvExport, toK8sSecret, toYaml } from '../src/cli/export-formats.ts';

// Values users actually keep: quotes of every kind, $, backticks, backslashes, newlines, CR, spaces,
// #, unicode; mixed with arbitrary strings.
const tricky = fc.constantFrom(
  '"',
  "'",
  '`',
  '$',
  '$(id)',
  '${HOME}',
  '\\',
  '\\n',
  '\\"',
  '\n',
  '\r',
  '\r\n',
  ' ',
  '\t',
  '#',
  ' # c',
  '=',
  'ü',
  '💥',
  '\u2028',
  '\u0085',
  '\ufeff',
);
const value = fc.oneof(
  fc.array(fc.oneof(tricky, fc.string({ maxLength: 4 })), { maxLength: 12 }).map((parts) => parts.join('')),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
);
const key = fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,12}$/);
const envRecord = fc.dictionary(key, value, { maxKeys: 6 });
// A fixed seed keeps CI deterministic; KMS_PROPERTY_SEED / KMS_PROPERTY_RUNS explore further locally.
const SEED = Number(process.env.KMS_PROPERTY_SEED ?? 20261129);
const noNul = (v: Record<string, string>) => !Object.values(v).some((s) => s.includes('\u0000'));

describe('dotenv export', () => {
  it('round-trips every value it writes through util.parseEnv and dotenv, and refuses only what neither can carry', () => {
    fc.assert(
      fc.property(envRecord, (values) => {
        const result = toDotenv(values);
        if ('invalidKeys' in result) {
          for (const k of result.invalidKeys) expect(dotenvQuote(values[k]!)).toBeUndefined();
          // Refused only for a CR, a NUL, a trailing backslash, or all three quote characters plus " or \.
          for (const k of result.invalidKeys) {
            const v = values[k]!;
            const quotesExhausted =
              v.includes("'") && v.includes('`') && (v.includes('"') || v.includes('\\'));
            expect(v.includes('\r') || v.includes('\u0000') || v.endsWith('\\') || quotesExhausted).toBe(
              true,
            );
          }
          return;
        }
        expect(parseEnv(result.text)).toEqual(values);
        expect(dotenv.parse(result.text)).toEqual(values);
      }),
      { numRuns: Number(process.env.KMS_PROPERTY_RUNS ?? 3000), seed: SEED },
    );
  });

  it('names the key, never the value, when it refuses', () => {
    expect(toDotenv({ OK: 'x', CR: 'a\rb' })).toEqual({ invalidKeys: ['CR'] });
  });

  it('refuses a trailing backslash (dotenv would run on into the next line)', () => {
    expect(toDotenv({ A: '\\', A_: ' ' })).toEqual({ invalidKeys: ['A'] });
  });
});

describe('dotenv-export (for `source` in a shell)', () => {
  it('gives back every value exactly in sh', () => {
    fc.assert(
      fc.property(envRecord.filter(noNul), (values) => {
        const result = toDotenvExport(values);
        if ('invalidKeys' in result) throw new Error(`refused ${result.invalidKeys.join(',')}`);
        // The shell prints each variable as JSON-safe hex so the comparison sees every byte.
        const script = `${result.text}\nfor k in ${Object.keys(values).join(' ') || 'NONE'}; do eval "printf '%s\\0' \\"\\$$k\\""; done`;
        const out = execFileSync('sh', ['-c', script], { env: {}, encoding: 'utf8' });
        const got = Object.keys(values).length === 0 ? [] : out.split('\u0000').slice(0, -1);
        expect(got).toEqual(Object.values(values));
      }),
      { numRuns: 150, seed: SEED },
    );
  });
});

describe('yaml and k8s-secret', () => {
  it('yaml reads back exactly with a real YAML parser, every value a string', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 8 }), value, { maxKeys: 6 }), (values) => {
        const parsed = parseYaml(toYaml(values));
        expect(parsed).toEqual(values);
      }),
      { numRuns: 1000, seed: SEED },
    );
  });

  it('k8s-secret data decodes to the exact values, even for keys YAML would read as bool or null', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.oneof(key, fc.constantFrom('true', 'null', '1e3', 'yes', '.5', '-x')), value, {
          maxKeys: 6,
        }),
        (values) => {
          const result = toK8sSecret(values, { name: 'n', annotations: { 'kms.hanzo.ai/path': '/a: b' } });
          if (!('manifest' in result)) throw new Error('refused');
          const doc = parseYaml(result.manifest) as { data: Record<string, string> };
          const decoded = Object.fromEntries(
            Object.entries(doc.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
          );
          expect(Object.keys(decoded).sort()).toEqual(Object.keys(values).sort());
          for (const [k, v] of Object.entries(values))
            expect(decoded[k]).toBe(Buffer.from(v, 'utf8').toString('utf8'));
        },
      ),
      { numRuns: 500, seed: SEED },
    );
  });
});
