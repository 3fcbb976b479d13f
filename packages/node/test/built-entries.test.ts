// The published build: each class exists once, shared by the entries (code splitting), in ESM and in
// CommonJS, and the main entry's createSecretsSession is Node's (credential files, node:http).
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';
import { packageDir } from './helpers.ts';

const dist = (file: string) => join(packageDir, 'dist', file);

it('ESM: index and env share KmsBootError, KmsNodeConfigError and SecretsSession', async () => {
  const main = await import(pathToFileURL(dist('index.js')).href);
  const env = await import(pathToFileURL(dist('env.js')).href);
  for (const name of ['KmsBootError', 'KmsNodeConfigError', 'SecretsSession']) {
    expect(main[name], name).toBeTypeOf('function');
    expect(main[name], name).toBe(env[name]);
  }
  expect(main.createSecretsSession).not.toBe(env.createSecretsSession);
});

it('CommonJS: index.cjs and env.cjs share their classes too', () => {
  const require = createRequire(import.meta.url);
  const main = require(dist('index.cjs'));
  const env = require(dist('env.cjs'));
  for (const name of ['KmsBootError', 'KmsNodeConfigError', 'SecretsSession']) {
    expect(main[name], name).toBe(env[name]);
  }
});

it("the public entries leave the adapters' shared helpers to @hanzo/kms-node/internal", async () => {
  const internalOnly = ['findOptionProblem', 'sessionOptionRules', 'kmsNodeOptionRules', 'clientAuthOf'];
  const require = createRequire(import.meta.url);
  for (const [format, load] of [
    ['ESM', (file: string) => import(pathToFileURL(dist(`${file}.js`)).href)],
    ['CommonJS', async (file: string) => require(dist(`${file}.cjs`))],
  ] as const) {
    const [main, env, internal] = await Promise.all([load('index'), load('env'), load('internal')]);
    for (const name of internalOnly) {
      expect(main[name], `${format} index ${name}`).toBeUndefined();
      expect(env[name], `${format} env ${name}`).toBeUndefined();
    }
    expect(Object.keys(internal).sort(), format).toEqual(['findOptionProblem', 'sessionOptionRules']);
    expect(internal.findOptionProblem({ secretPath: 'app' })).toEqual({
      field: 'secretPath',
      problem: 'must start with /',
    });
  }
});

it('the boot recognises a worker thread without loading node:worker_threads, and skips it', async () => {
  const { Worker } = await import('node:worker_threads');
  const url = pathToFileURL(dist('index.js')).href;
  const worker = new Worker(
    `import(${JSON.stringify(url)}).then(async (m) => {
       const outcome = await m.bootFromEnvironment({ env: { KMS_SITE_URL: 'http://127.0.0.1:9' } });
       require('node:worker_threads').parentPort.postMessage(outcome);
     });`,
    { eval: true },
  );
  const outcome = await new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await worker.terminate();
  expect(outcome).toEqual({ loaded: false, skipped: 'worker-thread' });
  // And the main thread is not taken for one.
  const { bootFromEnvironment } = await import(url);
  const main = await bootFromEnvironment({ env: { KMS_DISABLE: '1' } });
  expect(main).toEqual({ loaded: false, skipped: 'disabled' });
});
