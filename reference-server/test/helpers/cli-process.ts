import { type ChildProcess, spawn } from 'node:child_process';

export const CLI = new URL('../../dist/cli.js', import.meta.url).pathname;

/** A `kms-server` child process whose output is collected. */
export interface CliProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves once the output matches, rejects after `ms`. */
  waitFor(pattern: RegExp, ms?: number): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
}

export function startCli(
  args: string[],
  env: Record<string, string | undefined> = {},
  cwd?: string,
): CliProcess {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const l of listeners) l();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    waitFor(pattern, ms = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = output.match(pattern);
          if (m) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve(m);
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`timed out waiting for ${pattern}; output so far:\n${output}`));
        }, ms);
        listeners.add(check);
        void exited.then(() =>
          setTimeout(() => reject(new Error(`process exited before ${pattern}:\n${output}`)), 50),
        );
        check();
      });
    },
  };
}

/** Runs the CLI to completion. */
export async function runCli(args: string[], env: Record<string, string | undefined> = {}, cwd?: string) {
  const p = startCli(args, env, cwd);
  const code = await p.exited;
  return { code, output: p.output() };
}
