// The runtime matrix: the built @hanzo/kms (and @hanzo/kms-node/env, and @hanzo/kms-nextjs's edge
// build) against the reference server on loopback, in every runtime the READMEs name. One process per
// runtime, each installed from the npm registry as a pinned dev dependency (package.json), two at a
// time on the 2-core machines. Each runtime gets its own project and identity, and its own proxy that
// answers the first secrets list with a 503 (the retry check). The wall time of each runtime is printed.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  loadStartServer,
  type Provisioned,
  ReferenceServer,
} from '../../../packages/sdk/test/reference-server.js';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const repoRoot = here('../../../');
const bin = (path: string) => here(`../node_modules/${path}`);

/** The checks of src/sdk-scenario.mjs, in the order it runs them. */
const SDK_CHECKS = [
  'login',
  'list',
  'retry-after-503',
  'list-cached',
  'etag-revalidation',
  'kms-round-trip',
  'typed-errors',
  'redaction',
];

interface Outcome {
  version: string;
  passed: string[];
  /** For a child process: when it printed its report, in ms since it started (the rest is its exit). */
  reportedAtMs?: number;
}

/** What the matrix runs: a command in its own process, or workerd through miniflare. */
interface Runtime {
  name: string;
  expected: string[];
  /** The version the runtime must report, when the matrix pins one per entry. */
  version?: RegExp;
  run(env: Record<string, string>): Promise<Outcome>;
}

/** No registry, no remote module: whatever a runtime would download at test time fails instead. */
const offline = {
  npm_config_registry: 'http://127.0.0.1:9/',
  NO_COLOR: '1',
  DENO_NO_UPDATE_CHECK: '1',
};

function runCommand(command: string, args: string[], env: Record<string, string>): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      {
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...offline, ...env },
        timeout: 90_000,
      },
      (error, stdout, stderr) => {
        if (error)
          return reject(new Error(`${command} ${args.join(' ')} failed: ${error.message}\n${stderr}`));
        const last = stdout.trim().split('\n').at(-1) ?? '';
        try {
          resolve(JSON.parse(last) as Outcome);
        } catch {
          reject(new Error(`no JSON report on stdout:\n${stdout}\n${stderr}`));
        }
      },
    );
  });
}

const scratch = mkdtempSync(join(tmpdir(), 'kms-runtime-matrix-'));
// Deno resolves the env entry's `@hanzo/kms` import through this map to the built file: no npm: fetch.
const importMap = join(scratch, 'import-map.json');
writeFileSync(
  importMap,
  JSON.stringify({
    imports: {
      '@hanzo/kms': pathToFileURL(`${repoRoot}packages/sdk/dist/index.js`).href,
      // kms-node's entries import the SDK's helpers for the other packages (packages/sdk/src/internal.ts).
      '@hanzo/kms/internal': pathToFileURL(`${repoRoot}packages/sdk/dist/internal.js`).href,
    },
  }),
);

const nodeRuntime = (major: number): Runtime => ({
  name: `Node ${major}`,
  expected: SDK_CHECKS,
  version: new RegExp(`^${major}\\.`),
  run: (env) => runCommand(bin(`node${major}/bin/node`), [here('../harness/node.mjs')], env),
});

const RUNTIMES: Runtime[] = [
  nodeRuntime(20),
  nodeRuntime(22),
  nodeRuntime(24),
  {
    name: 'Bun',
    expected: [...SDK_CHECKS, 'kms-node-env', 'kms-node-env-default'],
    run: (env) => runCommand(bin('bun/bin/bun.exe'), ['--no-install', here('../harness/bun.mjs')], env),
  },
  {
    name: 'Deno',
    expected: [...SDK_CHECKS, 'kms-node-env', 'kms-node-env-default'],
    run: (env) =>
      runCommand(
        bin('.bin/deno'),
        [
          'run',
          '--no-config',
          '--cached-only',
          '--no-prompt',
          '--allow-net=127.0.0.1',
          '--allow-env',
          `--allow-read=${repoRoot}`,
          `--import-map=${importMap}`,
          here('../harness/deno.mjs'),
        ],
        { ...env, DENO_DIR: join(scratch, 'deno') },
      ),
  },
  {
    name: 'workerd',
    expected: [...SDK_CHECKS, 'kms-node-env'],
    run: async (env) => {
      const module = (path: string) => ({ type: 'ESModule' as const, path: `${repoRoot}${path}` });
      const worker = new Miniflare({
        modulesRoot: repoRoot,
        modules: [
          module('tests/runtimes/harness/worker.mjs'),
          module('tests/runtimes/src/sdk-scenario.mjs'),
          module('tests/runtimes/src/env-scenario.mjs'),
          module('packages/sdk/dist/index.js'),
          // workerd has no package resolution: @hanzo/kms-node/env comes bundled, as wrangler
          // deploys a worker (esbuild, its `workerd` / `worker` / `browser` conditions).
          {
            type: 'ESModule',
            path: `${repoRoot}tests/runtimes/harness/kms-node-env.bundle.mjs`,
            contents: await bundleForWorkers('@hanzo/kms-node/env'),
          },
        ],
        compatibilityDate: '2026-07-01',
        bindings: env,
      });
      try {
        const response = await worker.dispatchFetch('http://worker.test/');
        const body = (await response.json()) as Outcome & { error?: string };
        if (body.error) throw new Error(`the worker failed: ${body.error}`);
        return { version: workerdVersion(), passed: body.passed };
      } finally {
        await worker.dispose();
      }
    },
  },
  {
    name: 'Edge Runtime',
    expected: [...SDK_CHECKS, 'nextjs-edge-getSecret'],
    run: (env) => runCommand(process.execPath, [here('../harness/edge.mjs')], env),
  },
];

/** `specifier` resolved from this package and bundled into one ES module the way wrangler does. */
async function bundleForWorkers(specifier: string): Promise<string> {
  const result = await build({
    stdin: { contents: `export * from '${specifier}';`, resolveDir: here('../'), loader: 'js' },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    conditions: ['workerd', 'worker', 'browser'],
    logLevel: 'silent',
  });
  return result.outputFiles[0]?.text ?? '';
}

/** The version of the workerd miniflare runs (miniflare pins it as its own dependency). */
function workerdVersion(): string {
  const miniflareDir = realpathSync(here('../node_modules/miniflare'));
  const workerdPackage = join(miniflareDir, '..', 'workerd', 'package.json');
  return (JSON.parse(readFileSync(workerdPackage, 'utf8')) as { version: string }).version;
}

/**
 * A proxy in front of the server that answers the first secrets list with a 503, then forwards, and
 * counts the 304s it forwards (the wire side of the ETag check).
 */
async function flakyProxy(
  target: string,
): Promise<{ url: string; refused: () => number; notModified: () => number; close(): void }> {
  let refused = 0;
  let notModified = 0;
  const upstream = new URL(target);
  const server: Server = createServer((req, res) => {
    if (refused === 0 && req.method === 'GET' && req.url?.startsWith('/api/v3/secrets/raw?')) {
      refused++;
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ statusCode: 503, message: 'Service unavailable', error: 'ServiceUnavailable' }),
      );
      return;
    }
    const forwarded = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        if (answer.statusCode === 304) notModified++;
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forwarded.on('error', () => res.destroy());
    req.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    refused: () => refused,
    notModified: () => notModified,
    close: () => server.close(),
  };
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

/** Runs `tasks` with at most `limit` at a time (the machines have 2 cores). */
function limiter(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

const startServer = await loadStartServer();
let server: ReferenceServer;
const timings: { runtime: string; version: string; seconds: number; reportedAt?: number }[] = [];
const slot = limiter(2);
const matrixStarted = Date.now();

beforeAll(async () => {
  server = await ReferenceServer.start(startServer);
}, 60_000);

afterAll(async () => {
  await server?.close();
  rmSync(scratch, { recursive: true, force: true });
  const rows = timings.map((t) => {
    const reported = t.reportedAt === undefined ? '' : `  (report printed at ${t.reportedAt.toFixed(2)} s)`;
    return `  ${t.runtime.padEnd(13)} ${t.version.padEnd(14)} ${t.seconds.toFixed(2)} s${reported}`;
  });
  console.log(
    `runtime matrix (wall time per runtime, two at a time):\n${rows.join('\n')}\n  total         ${((Date.now() - matrixStarted) / 1000).toFixed(2)} s`,
  );
});

describe.concurrent('runtime matrix: the built packages against the reference server', () => {
  it.each(RUNTIMES)(
    '$name',
    async (runtime) => {
      const marker = Math.random().toString(36).slice(2, 10);
      const secrets = {
        DB_HOST: `db-${marker}.internal`,
        DB_PASS: `pw-${marker}-Zq8`,
        DB_USER: `user-${marker}`,
      };
      const env: Provisioned = await server.provision({ role: 'member' }, secrets);
      const proxy = await flakyProxy(env.url);
      try {
        const config = JSON.stringify({
          url: env.url,
          flakyUrl: proxy.url,
          closedUrl: await closedPort(),
          clientId: env.clientId,
          clientSecret: env.clientSecret,
          projectId: env.projectId,
          secrets,
          plaintext: `plaintext-${marker}`,
        });
        const variables = {
          KMS_MATRIX: config,
          KMS_SITE_URL: env.url,
          KMS_CLIENT_ID: env.clientId,
          KMS_CLIENT_SECRET: env.clientSecret,
          KMS_PROJECT_ID: env.projectId,
          KMS_ENVIRONMENT: 'dev',
          KMS_SECRET_PATH: '/app',
        };
        const outcome = await slot(async () => {
          const started = performance.now();
          const result = await runtime.run(variables);
          timings.push({
            runtime: runtime.name,
            version: result.version,
            seconds: (performance.now() - started) / 1000,
            ...(result.reportedAtMs === undefined ? {} : { reportedAt: result.reportedAtMs / 1000 }),
          });
          return result;
        });
        expect(outcome.passed).toEqual(runtime.expected);
        if (runtime.version) expect(outcome.version).toMatch(runtime.version);
        expect(proxy.refused()).toBe(1);
        expect(proxy.notModified()).toBe(1);
      } finally {
        proxy.close();
      }
    },
    180_000,
  );
});
