/**
 * `kms secrets get KEY`: prints one secret's value (that is what was asked for) followed by a newline.
 *
 * @module
 */
import { KmsNotFoundError } from '@hanzo/kms';
import { KmsBootError } from '../boot-error.js';
import { projectLabel } from '../config.js';
import { createClient, resolveOrThrow, withBootDeadline } from '../load-secrets.js';
import {
  type CliIo,
  locationFlags,
  locationHelp,
  optionsFromFlags,
  parseFlags,
  UsageError,
} from './common.js';

/** Help of `kms secrets`. */
export const secretsHelp = `Usage: kms secrets get KEY [options]

Prints the value of secret KEY followed by a newline (nothing else is printed on stdout).

Options:
  --no-newline              do not print the trailing newline

${locationHelp}
`;

/** Runs `kms secrets <subcommand>`; returns the exit code. */
export async function secretsCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags(
    'secrets',
    args,
    { ...locationFlags, 'no-newline': { type: 'boolean' } },
    true,
  );
  if (values.help || positionals.length === 0) {
    io.stdout.write(secretsHelp);
    return values.help ? 0 : 64;
  }
  const [sub, key, ...extra] = positionals;
  if (sub !== 'get') throw new UsageError(`secrets: unknown subcommand "${sub}" (only "get")`);
  if (!key || extra.length > 0) throw new UsageError('secrets get: expects exactly one KEY');
  const config = resolveOrThrow(optionsFromFlags(values, io.env));
  const client = createClient(config);
  try {
    const secret = await withBootDeadline(config, async (signal) => {
      try {
        return await client.secrets.retrieve(
          {
            ...(config.projectId ? { projectId: config.projectId } : { projectSlug: config.projectSlug! }),
            environment: config.environment,
            secretPath: config.secretPath,
            secretName: key,
            includeImports: config.includeImports,
            expandSecretReferences: config.expandSecretReferences,
          },
          { signal },
        );
      } catch (error) {
        if (error instanceof KmsNotFoundError && /^(Personal )?Secret with name/i.test(error.serverMessage)) {
          throw new KmsBootError(
            'not-found',
            `secret ${key} not found in project ${projectLabel(config)}, environment ${config.environment}, path ${config.secretPath}`,
            { cause: error },
          );
        }
        throw error;
      }
    });
    io.stdout.write(values['no-newline'] ? secret.secretValue : `${secret.secretValue}\n`);
    return 0;
  } finally {
    void client.close();
  }
}
