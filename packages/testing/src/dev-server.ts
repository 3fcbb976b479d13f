/**
 * `kms-server dev` as a child process, for tests that follow a README exactly: the demo project and the
 * `KMS_*` lines it prints are what a new user copies.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A running `kms-server dev` and what it printed. */
export interface KmsDevServer {
  /** The `KMS_*` lines it printed (`KMS_SITE_URL`, `KMS_CLIENT_ID`, `KMS_CLIENT_SECRET`, `KMS_PROJECT_SLUG`…). */
  env: Record<string, string>;
  siteUrl: string;
  adminToken: string;
  /** Its data folder (a fresh temporary one, removed by `close()`). */
  dataDir: string;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  close(): Promise<void>;
}

/** The `kms-server` CLI of the installed @hanzo/kms-server. */
export function kmsServerCli(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@hanzo/kms-server/package.json')), 'dist', 'cli.js');
}

/**
 * Starts `kms-server dev --port 0` in a new temporary data folder and resolves once it has printed its
 * credentials (rejects with its output if it exits or takes longer than `timeoutMs`).
 */
export function startKmsDevServer(options: { timeoutMs?: number } = {}): Promise<KmsDevServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'kms-dev-'));
  const child: ChildProcess = spawn(
    process.execPath,
    [kmsServerCli(), 'dev', '--port', '0', '--data-dir', dataDir],
    {
      env: { PATH: process.env.PATH },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const close = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void close();
      reject(
        new Error(
          `kms-server dev did not print its credentials within ${options.timeoutMs ?? 20_000} ms:\n${output}`,
        ),
      );
    }, options.timeoutMs ?? 20_000);
    const onData = (chunk: Buffer) => {
      output += String(chunk);
      if (!/KMS_SECRET_PATH=\S+\n/.test(output)) return;
      clearTimeout(timer);
      const env = Object.fromEntries(
        [...output.matchAll(/^\s+(KMS_[A-Z_]+)=(\S+)$/gm)].map((m) => [m[1], m[2]]),
      );
      resolve({
        env: env as Record<string, string>,
        siteUrl: env.KMS_SITE_URL as string,
        adminToken: /Admin token\s+(\S+)/.exec(output)?.[1] as string,
        dataDir,
        output: () => output,
        close,
      });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`kms-server dev exited with ${code}:\n${output}`));
    });
  });
}
