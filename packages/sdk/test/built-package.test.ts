// Checks of the built package (dist/): it runs on the machine's own Node 20 against the reference
// server, and the core bundle uses no Node built-in module and no Buffer.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadStartServer, type Provisioned, ReferenceServer } from './reference-server.js';

const run = promisify(execFile);
const dist = (file: string) => fileURLToPath(new URL(`../dist/${file}`, import.meta.url));
const fixture = (file: string) => fileURLToPath(new URL(`./fixtures/${file}`, import.meta.url));
const systemNode = process.env.KMS_SYSTEM_NODE ?? '/usr/bin/node';
const startServer = await loadStartServer();

describe('built bundle', () => {
  it.each(['index.js', 'index.cjs'])('%s imports no node: module and uses no Buffer', (file) => {
    const code = readFileSync(dist(file), 'utf8');
    expect(code).not.toMatch(/["']node:/);
    expect(code).not.toMatch(/\bBuffer\b/);
    // Any Node built-in, with or without the node: prefix.
    const imported = [...code.matchAll(/(?:from\s*|require\()\s*["']([^"'./][^"']*)["']/g)].map((m) => m[1]);
    expect(imported.filter((name) => builtinModules.includes(name!))).toEqual([]);
  });

  it("importing the package and constructing a client do not load Node's fetch implementation", async () => {
    const script = `const { KmsClient } = await import(${JSON.stringify(dist('index.js'))}); new KmsClient({ siteUrl: 'http://127.0.0.1:1' }); console.log(process.moduleLoadList.some((m) => m.includes('undici')))`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script]);
    expect(stdout.trim()).toBe('false');
  });
});

describe.runIf(existsSync(systemNode))('Node 20 smoke test (built package, real server)', () => {
  let server: ReferenceServer;
  let env: Provisioned;
  beforeAll(async () => {
    server = await ReferenceServer.start(startServer);
    env = await server.provision({ role: 'viewer' });
  });
  afterAll(() => server?.close());

  it.each(['smoke.mjs', 'smoke.cjs'])('%s lists secrets under the system Node', async (file) => {
    const { stdout } = await run(systemNode, [fixture(file)], {
      env: {
        PATH: process.env.PATH,
        KMS_URL: env.url,
        KMS_CLIENT_ID: env.clientId,
        KMS_CLIENT_SECRET: env.clientSecret,
        KMS_PROJECT_ID: env.projectId,
      },
      timeout: 20_000,
    });
    const result = JSON.parse(stdout.trim()) as { node: string; keys: string[] };
    expect(result.node).toMatch(/^v2\d\./);
    expect(result.keys).toEqual(['DB_HOST', 'DB_PASS', 'DB_USER']);
  });
});
