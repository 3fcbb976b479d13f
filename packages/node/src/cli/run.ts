/**
 * `kms run [options] -- cmd args`: starts `cmd` with the secrets merged into its environment, forwards
 * signals, passes its exit status through and, with `--watch`, restarts it when the secrets change.
 *
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mergeIntoEnv } from '@hanzo/kms';
import { toBootError } from '../boot-error.js';
import { bootTarget } from '../client-setup.js';
import { configFingerprint, type EnvMergePolicy, parseDuration, type ResolvedKmsConfig } from '../config.js';
import { shortLocation } from '../location.js';
import { BOOT_MARKER, createSecretsSession } from '../load-secrets.js';
import type { SecretsSession } from '../session.js';
import {
  type CliIo,
  locationFlags,
  reportFailure,
  locationHelp,
  optionsFromFlags,
  parseFlags,
  UsageError,
} from './common.js';

/** Help of `kms run`. */
export const runHelp = `Usage: kms run [options] -- COMMAND [ARGS...]
       kms run [options] --command "COMMAND LINE"

Starts COMMAND with the secrets merged into its environment and says on stderr how many it injected.
Signals (SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR2) are forwarded; kms exits with the command's exit code
(or is killed by the same signal).

Options:
  --command LINE            run LINE through /bin/sh -c instead of COMMAND after -- (the secrets are in
                            its environment, so write "$DATABASE_URL" to let the shell expand it)
  -q, --quiet               print nothing of kms's own unless something fails
  --env-merge POLICY        preserve (default: existing variables win), override, or error (KMS_ENV_MERGE)
  --watch                   poll for changes and restart COMMAND when a secret changes
  --watch-interval DURATION poll interval with --watch, default 10s (minimum 100ms)
  --watch-grace DURATION    with --watch, time between SIGTERM and SIGKILL on restart, default 10s

${locationHelp}

Exit codes: the command's own; 126 not executable; 127 command not found; 64 usage; 65 env conflict;
66 not found; 69 unreachable; 75 timeout or rate limited; 77 credentials or permission; 78 configuration.
`;

/** Writes one informational line of kms's own (silenced by --quiet); failures are not notices. */
type Notice = (line: string) => void;

/** Flags of `kms run`. */
export const runFlags = {
  ...locationFlags,
  'env-merge': { type: 'string' },
  watch: { type: 'boolean' },
  'watch-interval': { type: 'string' },
  'watch-grace': { type: 'string' },
  command: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
} as const;

/** The signals `kms run` forwards to its child. */
export const forwardedSignals: readonly NodeJS.Signals[] = [
  'SIGINT',
  'SIGTERM',
  'SIGHUP',
  'SIGQUIT',
  'SIGUSR2',
];

/** How `kms run` ends: with the child's exit code, or by re-raising the signal that killed it. */
export type RunOutcome = number | { signal: NodeJS.Signals };

function buildChildEnv(
  base: Record<string, string | undefined>,
  secrets: Readonly<Record<string, string>>,
  config: ResolvedKmsConfig,
  say: Notice,
): Record<string, string | undefined> {
  const env = { ...base };
  let report: ReturnType<typeof mergeIntoEnv>;
  try {
    report = mergeIntoEnv(env, secrets, config.envMerge);
  } catch (error) {
    throw toBootError(error, bootTarget(config));
  }
  if (report.skipped.length > 0) {
    say(`kept existing variables ${report.skipped.join(', ')} (--env-merge preserve)`);
  }
  env[BOOT_MARKER] = configFingerprint(config);
  return env;
}

/** Runs `kms run`; resolves with the outcome once the (last) child has exited. */
export async function runCommand(args: string[], io: CliIo): Promise<RunOutcome> {
  const separator = args.indexOf('--');
  const flagArgs = separator === -1 ? args : args.slice(0, separator);
  let parsed: ReturnType<typeof parseFlags>;
  try {
    parsed = parseFlags('run', flagArgs, runFlags, true);
  } catch (error) {
    if (separator === -1) {
      throw new UsageError(`${(error as Error).message}; put the command after -- or pass it with --command`);
    }
    throw error;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout.write(runHelp);
    return 0;
  }
  if (separator !== -1 && positionals.length > 0) {
    throw new UsageError(`run: unexpected argument "${positionals[0]}" before --`);
  }
  const line = typeof values.command === 'string' ? values.command : undefined;
  if (line !== undefined && (separator !== -1 || positionals.length > 0)) {
    throw new UsageError('run: pass the command either after -- or with --command, not both');
  }
  if (line !== undefined && line.trim() === '') throw new UsageError('run: --command is empty');
  const command =
    line !== undefined ? ['/bin/sh', '-c', line] : separator === -1 ? positionals : args.slice(separator + 1);
  if (command.length === 0)
    throw new UsageError('run: no command given, e.g. kms run --env prod -- node app.js');
  const quiet = values.quiet === true;

  const options = optionsFromFlags(values, io.env);
  if (typeof values['env-merge'] === 'string') {
    const policy = values['env-merge'];
    if (!['preserve', 'override', 'error'].includes(policy)) {
      throw new UsageError(`run: --env-merge must be preserve, override or error, got "${policy}"`);
    }
    options.envMerge = policy as EnvMergePolicy;
  }
  const duration = (name: string, fallback: number) => {
    const raw = values[name];
    if (typeof raw !== 'string') return fallback;
    try {
      return Math.max(100, parseDuration(`--${name}`, raw));
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  };
  const interval = duration('watch-interval', 10_000);
  const grace = duration('watch-grace', 10_000);

  const watching = values.watch === true;
  // One session: the load, and with --watch its polls (If-None-Match) with the same login.
  const session = createSecretsSession({
    ...options,
    refreshInterval: watching ? interval : 0,
    onRefreshError: (error) =>
      io.stderr.write(`kms: watch: ${error.message}
`),
  });
  await session.load();
  if (!watching) void session.close(2000);
  const { config, secrets } = session;
  const say: Notice = quiet ? () => undefined : (line) => io.stderr.write(`kms: ${line}\n`);
  const firstEnv = buildChildEnv(io.env, secrets, config, say);
  const count = Object.keys(secrets).length;
  say(`injected ${count} secret${count === 1 ? '' : 's'} from ${shortLocation(config)}`);
  return supervise(command, firstEnv, io, say, watching ? { session, grace, config } : undefined);
}

interface WatchPlan {
  session: SecretsSession;
  grace: number;
  config: ResolvedKmsConfig;
}

function supervise(
  command: string[],
  firstEnv: Record<string, string | undefined>,
  io: CliIo,
  say: Notice,
  watch: WatchPlan | undefined,
): Promise<RunOutcome> {
  const [file, ...argv] = command as [string, ...string[]];
  return new Promise<RunOutcome>((resolve) => {
    let child: ChildProcess;
    const retiring = new Set<ChildProcess>();
    let stopWatching: (() => Promise<void>) | undefined;
    let finished = false;

    const forward = (signal: NodeJS.Signals) => {
      child.kill(signal);
    };
    const handlers = new Map<NodeJS.Signals, () => void>();
    for (const signal of forwardedSignals) {
      const handler = () => forward(signal);
      handlers.set(signal, handler);
      process.on(signal, handler);
    }

    const finish = (outcome: RunOutcome) => {
      if (finished) return;
      finished = true;
      for (const [signal, handler] of handlers) process.off(signal, handler);
      const done = stopWatching ? stopWatching().catch(() => undefined) : Promise.resolve();
      void done.then(() => resolve(outcome));
    };

    const start = (env: Record<string, string | undefined>) => {
      const proc = spawn(file, argv, { stdio: 'inherit', env });
      proc.on('error', (error: NodeJS.ErrnoException) => {
        if (retiring.has(proc)) return;
        if (error.code === 'ENOENT') {
          io.stderr.write(`kms: run: command not found: ${file}\n`);
          finish(127);
        } else if (error.code === 'EACCES') {
          io.stderr.write(`kms: run: permission denied: ${file}\n`);
          finish(126);
        } else {
          io.stderr.write(`kms: run: cannot start ${file} (${error.code ?? error.name})\n`);
          finish(126);
        }
      });
      proc.on('exit', (code, signal) => {
        if (retiring.delete(proc)) return;
        if (proc !== child) return;
        finish(signal ? { signal } : (code ?? 1));
      });
      child = proc;
    };

    const restart = async (secrets: Record<string, string>) => {
      if (finished || !watch) return;
      const old = child;
      retiring.add(old);
      const exited = new Promise<void>((done) => {
        if (old.exitCode !== null || old.signalCode !== null) return done();
        old.once('exit', () => done());
      });
      old.kill('SIGTERM');
      const killTimer = setTimeout(() => old.kill('SIGKILL'), watch.grace);
      await exited;
      clearTimeout(killTimer);
      if (finished) return;
      let env: Record<string, string | undefined>;
      try {
        env = buildChildEnv(io.env, secrets, watch.config, say);
      } catch (error) {
        finish(reportFailure(io, error));
        return;
      }
      start(env);
    };

    start(firstEnv);
    if (watch) {
      watch.session.onChange(async (change) => {
        say(`secrets changed (${change.keys.join(', ')}); restarting the command`);
        await restart(change.secrets);
      });
      watch.session.start();
      stopWatching = () => watch.session.close(2000);
    }
  });
}
