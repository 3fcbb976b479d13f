#!/usr/bin/env node
/**
 * The `kms` bin. See {@link runCli} for the commands.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { runCli } from './cli/main.js';

// The package's own version, from the package.json beside dist/ (and src/).
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};
const outcome = await runCli(
  process.argv.slice(2),
  {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
  },
  version,
);
if (typeof outcome === 'number') {
  // Exit as soon as the output is flushed: a request still in flight after the command gave up (a
  // token revocation, a hung server) must not hold the process past its deadline.
  process.stdout.write('', () => process.stderr.write('', () => process.exit(outcome)));
} else {
  // Die by the child's signal so that our parent sees the same status; 128+n if it is ignored.
  process.kill(process.pid, outcome.signal);
  process.exitCode = 128 + (constants.signals[outcome.signal] ?? 0);
}
