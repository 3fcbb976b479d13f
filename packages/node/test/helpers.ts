// Shared by the tests: environments for child processes, a child-process runner that captures
// everything, and a loopback server that accepts connections and never answers.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KmsTestServer } from '@hanzo/kms-testing';

export const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
export const fixturesDir = join(packageDir, 'test', 'fixtures');
export const cliPath = join(packageDir, 'dist', 'cli.js');
export const registerPath = join(packageDir, 'dist', 'register.js');

/** An empty directory: a credentials dir without files, so the machine's /etc/kms/auth is never read. */
export function emptyDir(): string {
  return mkdtempSync(join(tmpdir(), 'kms-node-test-'));
}

/** A minimal environment for a child (no KMS_* inherited from the test runner) plus `extra`. */
export function baseEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    KMS_CREDENTIALS_DIR: join(tmpdir(), 'kms-node-test-no-such-dir'),
    ...extra,
  };
}

/** KMS_* variables reading `secretPath` of `environment` in the test server's project. */
export function kmsEnv(
  kms: KmsTestServer,
  extra: Record<string, string | undefined> = {},
  location: { environment?: string; secretPath?: string } = {},
): Record<string, string | undefined> {
  return baseEnv({
    KMS_SITE_URL: kms.url,
    KMS_CLIENT_ID: kms.clientId,
    KMS_CLIENT_SECRET: kms.clientSecret,
    KMS_PROJECT_SLUG: kms.projectSlug,
    KMS_ENVIRONMENT: location.environment ?? 'dev',
    KMS_SECRET_PATH: location.secretPath ?? '/app',
    ...extra,
  });
}

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface RunningChild {
  pid: number;
  result: Promise<ChildResult>;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout contains `text`. */
  waitFor(text: string, timeoutMs?: number): Promise<void>;
  kill(signal: NodeJS.Signals): void;
}

/** Starts `command args` with exactly `env`; captures output. */
export function start(
  command: string,
  args: string[],
  env: Record<string, string | undefined>,
  cwd = fixturesDir,
): RunningChild {
  const began = Date.now();
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    for (const w of [...waiters]) if (stdout.includes(w.text)) w.resolve();
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const result = new Promise<ChildResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, ms: Date.now() - began }));
  });
  return {
    pid: child.pid!,
    result,
    stdout: () => stdout,
    stderr: () => stderr,
    waitFor(text, timeoutMs = 15_000) {
      if (stdout.includes(text)) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(`timed out waiting for ${JSON.stringify(text)}; stdout=${stdout} stderr=${stderr}`),
            ),
          timeoutMs,
        );
        waiters.push({
          text,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
    kill: (signal) => child.kill(signal),
  };
}

/** Runs `node args` to completion. */
export function runNode(
  args: string[],
  env: Record<string, string | undefined>,
  node = process.execPath,
): Promise<ChildResult> {
  return start(node, args, env).result;
}

/** Runs the built `kms` CLI to completion. */
export function runKms(args: string[], env: Record<string, string | undefined>): Promise<ChildResult> {
  return start(process.execPath, [cliPath, ...args], env).result;
}

/** Runs the built `kms` with `input` on its stdin. */
export function runKmsWithInput(
  args: string[],
  env: Record<string, string | undefined>,
  input: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [cliPath, ...args], { cwd: fixturesDir, env });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin.end(input);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A loopback server that accepts every connection and never answers. */
export async function blackHole(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A loopback port nothing listens on. */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** The error `fn` throws (the test fails if it does not throw). */
export function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}
