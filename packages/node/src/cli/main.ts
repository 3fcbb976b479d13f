/**
 * The `kms` command line: dispatch to `run`, `export` and `secrets`, help, and one-line failures.
 *
 * @module
 */
import { exportCommand } from './export.js';
import { type CliIo, reportFailure, UsageError } from './common.js';
import { type RunOutcome, runCommand } from './run.js';
import { secretsCommand } from './secrets-get.js';

/** Top-level help of `kms`. */
export const mainHelp = `Usage: kms <command> [options]

Commands:
  run [options] -- CMD [ARGS...]   run CMD with the secrets in its environment (--watch restarts it on change)
  export [--format FORMAT]         print the secrets as dotenv, json, yaml or a Kubernetes Secret
  secrets get KEY                  print the value of one secret

Run \`kms <command> --help\` for the options of a command. Configuration comes from KMS_* variables and the
credential files in KMS_CREDENTIALS_DIR (default /etc/kms/auth); see the @hanzo/kms-node README.
kms never prints a secret value unless the command asks for values (export, secrets get).
`;

/** Runs the CLI with `argv` (without `node` and the script); resolves with the outcome. */
export async function runCli(argv: string[], io: CliIo): Promise<RunOutcome> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io.stdout.write(mainHelp);
        return command === undefined ? 64 : 0;
      case 'run':
        return await runCommand(rest, io);
      case 'export':
        return await exportCommand(rest, io);
      case 'secrets':
        return await secretsCommand(rest, io);
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    return reportFailure(io, error);
  }
}
