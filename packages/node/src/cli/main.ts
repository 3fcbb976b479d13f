/**
 * The `kms` command line: dispatch to `run`, `export` and `secrets`, help, and one-line failures.
 *
 * @module
 */
import { closestName } from '@hanzo/kms/internal';
import { completionCommand } from './completion.js';
import { exportCommand } from './export.js';
import { type CliIo, reportFailure, UsageError } from './common.js';
import { type RunOutcome, runCommand } from './run.js';
import { secretsCommand } from './secrets.js';

/** Top-level help of `kms`. */
export const mainHelp = `Usage: kms <command> [options]

Commands:
  run [options] -- CMD [ARGS...]   run CMD with the secrets in its environment (--watch restarts it on change;
                                   --command "LINE" runs LINE through the shell instead)
  export [--format FORMAT]         print the secrets: dotenv, dotenv-export, json, yaml, k8s-secret
  secrets get KEY                  print the value of one secret
  secrets list [--values]          list the keys (and values) of the folder: table, json or dotenv
  secrets set KEY=VALUE ...        create or update secrets (KEY=@file, KEY=- for stdin); never echoed
  secrets delete KEY ...           delete secrets
  secrets history KEY              list the kept versions of a secret (--values adds the values)
  secrets rollback KEY --version N write version N's value again as the secret's next version
  completion bash|zsh              print a shell completion script (source <(kms completion bash))

Run \`kms help <command>\` (or \`kms <command> --help\`) for the options of a command; \`kms --version\`
prints the version. Configuration comes from KMS_* variables and the
credential files in KMS_CREDENTIALS_DIR (default /etc/kms/auth); see the @hanzo/kms-node README.
kms never prints a secret value unless the command asks for values (export, secrets get, secrets list
--values, secrets history --values).
`;

const commands = ['run', 'export', 'secrets', 'completion'] as const;

/**
 * Runs the CLI with `argv` (without `node` and the script); resolves with the outcome. `version` is what
 * `kms --version` prints (the bin reads it from the package).
 */
export async function runCli(argv: string[], io: CliIo, version = 'unknown'): Promise<RunOutcome> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case '-h':
      case '--help':
        io.stdout.write(mainHelp);
        return command === undefined ? 64 : 0;
      case 'help':
        if (rest[0] === undefined) {
          io.stdout.write(mainHelp);
          return 0;
        }
        if (!(commands as readonly string[]).includes(rest[0])) throw unknownCommand(rest[0]);
        return await runCli([rest[0], '--help'], io, version);
      case '-v':
      case '--version':
      case 'version':
        io.stdout.write(`kms ${version}\n`);
        return 0;
      case 'run':
        return await runCommand(rest, io);
      case 'export':
        return await exportCommand(rest, io);
      case 'secrets':
        return await secretsCommand(rest, io);
      case 'completion':
        return completionCommand(rest, io);
      default:
        throw unknownCommand(command);
    }
  } catch (error) {
    return reportFailure(io, error);
  }
}

function unknownCommand(name: string): UsageError {
  const hint = closestName(name.replace(/^-+/, ''), commands);
  return new UsageError(`unknown command "${name}"${hint ? ` (did you mean "${hint}"?)` : ''}`);
}
