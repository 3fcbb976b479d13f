import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type KmsTestServer, startKmsTestServer } from '@hanzo/kms-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkClientBundle } from '../src/check.js';

const here = dirname(fileURLToPath(import.meta.url));
const leaky = join(here, 'fixtures/leaky-build');
const clean = join(here, 'fixtures/clean-build');
const cli = join(here, '../dist/cli.js');
const LEAKED = 'sk_live_leaked_9a8b7c6d5e';

// Asynchronous: the reference server runs in this process and must keep answering.
function runCli(args: string[], env: Record<string, string | undefined>) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { env: env as NodeJS.ProcessEnv });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('checkClientBundle', () => {
  it('names the leaked key and file, never the value', () => {
    const result = checkClientBundle({
      distDir: leaky,
      secrets: { API_KEY: LEAKED, OTHER: 'not-in-the-bundle-1234' },
    });
    expect(result.leaks).toEqual([{ key: 'API_KEY', files: ['static/chunks/app-page.js'] }]);
    expect(JSON.stringify(result)).not.toContain(LEAKED);
  });

  it('finds values escaped inside a string literal', () => {
    const result = checkClientBundle({ distDir: leaky, secrets: { K: 'sk_live_leaked_9a8b7c6d5e' } });
    expect(result.leaks.map((l) => l.key)).toEqual(['K']);
  });

  it('passes a clean build and skips values too short to search', () => {
    const result = checkClientBundle({ distDir: clean, secrets: { API_KEY: LEAKED, FLAG: 'on' } });
    expect(result.leaks).toEqual([]);
    expect(result.skipped).toEqual(['FLAG']);
    expect(result.filesScanned).toBe(1);
  });

  it('fails when there is no build', () => {
    expect(() => checkClientBundle({ distDir: join(here, 'nope'), secrets: {} })).toThrow(
      /run `next build` first/,
    );
  });
});

describe('kms-next check (CLI against the reference server)', () => {
  let kms: KmsTestServer;
  beforeAll(async () => {
    kms = await startKmsTestServer({
      secrets: { prod: { '/': { API_KEY: LEAKED, DB_PASSWORD: 'correct-horse-battery' } } },
    });
  });
  afterAll(() => kms?.close());

  const run = (dir: string) =>
    runCli(['check', '--dir', dir], {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      KMS_SITE_URL: kms.url,
      KMS_CLIENT_ID: kms.clientId,
      KMS_CLIENT_SECRET: kms.clientSecret,
      KMS_PROJECT_SLUG: kms.projectSlug,
      KMS_ENVIRONMENT: 'prod',
      KMS_CREDENTIALS_DIR: join(here, 'no-such-dir'),
    });

  it('fails on a leaking build with the key names only', async () => {
    const result = await run(leaky);
    const output = result.stdout + result.stderr;
    expect(result.status, output).toBe(1);
    expect(output).toContain('API_KEY: static/chunks/app-page.js');
    expect(output).not.toContain('DB_PASSWORD');
    for (const value of [LEAKED, 'correct-horse-battery', kms.clientSecret])
      expect(output).not.toContain(value);
  });

  it('passes a clean build', async () => {
    const result = await run(clean);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('no secret value found in 1 client files');
  });

  it('exits with a usage error on an unknown option', async () => {
    const result = await runCli(['check', '--bogus'], { PATH: process.env.PATH, NODE_ENV: 'test' });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('unknown option --bogus');
    const typo = await runCli(['check', '--min-lenght', '3'], { PATH: process.env.PATH, NODE_ENV: 'test' });
    expect(typo.stderr).toMatch(
      /^kms-next check: unknown option --min-lenght \(did you mean --min-length\?\)\n/,
    );
  });

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(join(here, '../package.json'), 'utf8'));
    const result = await runCli(['--version'], { PATH: process.env.PATH, NODE_ENV: 'test' });
    expect(result).toMatchObject({ status: 0, stdout: `kms-next ${version}\n` });
  });
});
