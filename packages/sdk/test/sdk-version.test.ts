// SDK_VERSION is the package's version, in src/ (vitest.config.ts) and in the build (tsup.config.ts),
// and the default User-Agent carries it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SDK_VERSION } from '../src/index.js';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

describe('SDK_VERSION', () => {
  it('is the version in package.json, in the sources and in both built bundles', async () => {
    expect(SDK_VERSION).toBe(version);
    const esm = (await import(new URL('../dist/index.js', import.meta.url).href)) as { SDK_VERSION: string };
    expect(esm.SDK_VERSION).toBe(version);
    const cjs = readFileSync(new URL('../dist/index.cjs', import.meta.url), 'utf8');
    expect(cjs).toContain(`var SDK_VERSION = ${JSON.stringify(version)};`);
  });

  it('is sent in the default User-Agent', async () => {
    const { KmsClient } = await import('../src/index.js');
    let agent: string | undefined;
    const kms = new KmsClient({
      siteUrl: 'http://127.0.0.1:1',
      auth: { accessToken: 'a-ready-token' },
      retry: { maxRetries: 0 },
      fetch: async (_url, init) => {
        agent = init.headers['user-agent'];
        return { status: 200, headers: { get: () => null }, text: async () => '{"secrets":[]}' };
      },
    });
    await kms.secrets.list({ projectId: 'p', environment: 'dev' });
    expect(agent).toBe(`@hanzo/kms/${version}`);
  });
});
