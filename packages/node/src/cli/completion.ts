/**
 * `kms completion bash|zsh`: prints a completion script built from the commands' own flag tables, so
 * completions cannot drift from what the parser accepts.
 *
 * @module
 */
import { type CliIo, UsageError } from './common.js';
import { exportFlags } from './export.js';
import { exportFormats } from './export-formats.js';
import { runFlags } from './run.js';
import { secretsFlags } from './secrets.js';

/** Help of `kms completion`. */
export const completionHelp = `Usage: kms completion bash|zsh

Prints a shell completion script for kms. Load it in your shell's startup file:
  bash:  source <(kms completion bash)          (in ~/.bashrc)
  zsh:   source <(kms completion zsh)           (in ~/.zshrc, after compinit)
`;

/** `kms secrets list --format` values (export has its own, exportFormats). */
const secretsListFormats = ['table', 'json', 'dotenv'];

const flagsOf = (table: Record<string, unknown>) =>
  Object.keys(table)
    .map((name) => `--${name}`)
    .join(' ');

/** Words completed after each command (first its subcommands or operands, then its flags). */
const words: Record<string, string> = {
  run: flagsOf(runFlags),
  export: flagsOf(exportFlags),
  secrets: `get list set delete history rollback ${flagsOf(secretsFlags)}`,
  help: 'run export secrets completion',
  completion: 'bash zsh',
};
const commands = `${Object.keys(words).join(' ')} --help --version`;

function bashScript(): string {
  const cases = Object.entries(words)
    .map(([command, list]) => `    ${command}) words="${list}" ;;`)
    .join('\n');
  return `# kms completion for bash: source <(kms completion bash)
_kms() {
  local cur prev words
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  if [ "$prev" = "--format" ]; then
    local formats="${exportFormats.join(' ')}"
    [ "\${COMP_WORDS[1]}" = secrets ] && formats="${secretsListFormats.join(' ')}"
    COMPREPLY=( $(compgen -W "$formats" -- "$cur") )
    return
  fi
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W "${commands}" -- "$cur") )
    return
  fi
  # After "--" the words belong to the command kms runs.
  local i
  for (( i=1; i<COMP_CWORD; i++ )); do
    if [ "\${COMP_WORDS[i]}" = "--" ]; then COMPREPLY=( $(compgen -c -- "$cur") ); return; fi
  done
  case "\${COMP_WORDS[1]}" in
${cases}
    *) words="" ;;
  esac
  COMPREPLY=( $(compgen -W "$words" -- "$cur") )
}
complete -o default -F _kms kms
`;
}

function zshScript(): string {
  const cases = Object.entries(words)
    .map(([command, list]) => `    ${command}) compadd -- ${list} ;;`)
    .join('\n');
  return `#compdef kms
# kms completion for zsh: source <(kms completion zsh)
_kms() {
  if (( CURRENT == 2 )); then
    compadd -- ${commands}
    return
  fi
  if [[ \${words[CURRENT-1]} == --format ]]; then
    if [[ \${words[2]} == secrets ]]; then compadd -- ${secretsListFormats.join(' ')}; else compadd -- ${exportFormats.join(' ')}; fi
    return
  fi
  if (( \${words[(I)--]} && \${words[(I)--]} < CURRENT )); then
    _normal
    return
  fi
  case \${words[2]} in
${cases}
  esac
}
compdef _kms kms
`;
}

/** Runs `kms completion`; returns the exit code. */
export function completionCommand(args: string[], io: CliIo): number {
  const [shell, ...extra] = args;
  if (shell === '--help' || shell === '-h') {
    io.stdout.write(completionHelp);
    return 0;
  }
  if (extra.length > 0 || (shell !== 'bash' && shell !== 'zsh')) {
    throw new UsageError('completion: expects bash or zsh, e.g. source <(kms completion bash)');
  }
  io.stdout.write(shell === 'bash' ? bashScript() : zshScript());
  return 0;
}
