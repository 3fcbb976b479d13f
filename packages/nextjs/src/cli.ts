#!/usr/bin/env node
/**
 * `kms-next check`: fails when a current secret value appears in a Next build's client output.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { closestName } from '@hanzo/kms/internal';
import { fetchSecrets, KmsBootError } from '@hanzo/kms-node';
import { checkClientBundle } from './check.js';

const usage = `Usage: kms-next check [--dir .next] [--min-length 8] [--no-prerendered]
       kms-next --version

Scans <dir>/static (and prerendered pages) for the value of every secret the KMS_* configuration reads
(KMS_SITE_URL, KMS_CLIENT_ID/KMS_CLIENT_SECRET or /etc/kms/auth, KMS_PROJECT_SLUG, KMS_ENVIRONMENT, ...).
Prints the names of leaked keys and the files they were found in, never the values.

Exit codes: 0 clean, 1 a secret was found, 2 usage or build error, otherwise @hanzo/kms-node's boot codes.`;

const checkOptions = ['dir', 'min-length', 'no-prerendered'];

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--help' || command === '-h' || command === undefined) {
    console.log(usage);
    return command === undefined ? 2 : 0;
  }
  if (command === '--version' || command === '-v') {
    // The package.json beside dist/ (and src/).
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    console.log(`kms-next ${version}`);
    return 0;
  }
  if (command !== 'check') {
    console.error(`kms-next: unknown command ${command}\n\n${usage}`);
    return 2;
  }
  let parsed: { values: { dir?: string; 'min-length'?: string; 'no-prerendered'?: boolean } };
  try {
    parsed = parseArgs({
      args: rest,
      options: {
        dir: { type: 'string', default: '.next' },
        'min-length': { type: 'string', default: '8' },
        'no-prerendered': { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    // parseArgs names the option; add the one that was probably meant.
    const unknown = /Unknown option '--?([^']+)'/.exec((error as Error).message)?.[1];
    const hint = unknown ? closestName(unknown, checkOptions) : undefined;
    const problem = unknown ? `unknown option --${unknown}` : (error as Error).message.split('.')[0];
    console.error(`kms-next check: ${problem}${hint ? ` (did you mean --${hint}?)` : ''}\n\n${usage}`);
    return 2;
  }
  const distDir = parsed.values.dir ?? '';
  const minLength = Number(parsed.values['min-length']);
  const includePrerendered = parsed.values['no-prerendered'] !== true;
  if (!Number.isInteger(minLength) || minLength < 1) {
    console.error('kms-next check: --min-length must be a positive integer');
    return 2;
  }
  if (!distDir) {
    console.error('kms-next check: --dir needs a directory');
    return 2;
  }
  let secrets: Record<string, string>;
  try {
    secrets = await fetchSecrets();
  } catch (error) {
    console.error(`kms-next check: ${error instanceof Error ? error.message : String(error)}`);
    return error instanceof KmsBootError ? error.exitCode : 2;
  }
  let result: ReturnType<typeof checkClientBundle>;
  try {
    result = checkClientBundle({ distDir, secrets, minLength, includePrerendered });
  } catch (error) {
    console.error(`kms-next check: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
  const note = result.skipped.length
    ? ` (${result.skipped.length} shorter than ${minLength} characters not searched: ${result.skipped.join(', ')})`
    : '';
  if (result.leaks.length === 0) {
    console.log(
      `kms-next check: no secret value found in ${result.filesScanned} client files of ${distDir}; ${Object.keys(secrets).length - result.skipped.length} secrets searched${note}`,
    );
    return 0;
  }
  console.error(`kms-next check: ${result.leaks.length} secret(s) found in client output of ${distDir}:`);
  for (const leak of result.leaks) console.error(`  ${leak.key}: ${leak.files.join(', ')}`);
  console.error(
    'Values are not shown. Move the code that reads them to the server and rotate these secrets.',
  );
  return 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`kms-next: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 2;
  },
);
