import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const dist = new URL('../dist/', import.meta.url);
const built = existsSync(new URL('index.cjs', dist));

function run(code: string, type: 'commonjs' | 'module'): string {
  const args = type === 'module' ? ['--input-type=module', '-e', code] : ['-e', code];
  return execFileSync(process.execPath, args, {
    cwd: new URL('..', import.meta.url),
    encoding: 'utf8',
  }).trim();
}

describe.skipIf(!built)('the published entries', () => {
  it('CommonJS: require() loads the module and the config subpath (Nest 12 through require(esm))', () => {
    const out = run(
      "require('reflect-metadata'); const m = require('@hanzo/kms-nestjs'); const c = require('@hanzo/kms-nestjs/config');" +
        'console.log(typeof m.KmsModule.forRoot, typeof m.KmsService, typeof c.kmsConfig)',
      'commonjs',
    );
    expect(out).toBe('function function function');
  });

  it('ESM: import loads both entries; importing does nothing else', () => {
    const out = run(
      "import 'reflect-metadata'; const m = await import('@hanzo/kms-nestjs'); const c = await import('@hanzo/kms-nestjs/config');" +
        'console.log(typeof m.KmsModule.forRootAsync, typeof c.kmsConfig)',
      'module',
    );
    expect(out).toBe('function function');
  });

  it('the main entry never imports @nestjs/config; no decorator metadata is emitted', () => {
    for (const file of ['index.js', 'index.cjs']) {
      const text = readFileSync(new URL(file, dist), 'utf8');
      expect(text).not.toContain('@nestjs/config');
      expect(text).not.toContain('design:paramtypes');
    }
  });
});
