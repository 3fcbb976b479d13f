/**
 * `kms secrets get|list|set|delete|history|rollback`: read one value, list the keys (values on request),
 * write or delete secrets in the configured folder, list a secret's versions and roll it back to one.
 * Written values are never echoed; writes need an identity with write rights on the folder.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { type KmsClient, KmsNotFoundError, KmsPermissionDeniedError, type RequestOptions } from '@hanzo/kms';
import { KmsBootError } from '../boot-error.js';
import type { ResolvedKmsConfig } from '../config.js';
import { locationLabel, shortLocation } from '../location.js';
import { createClient, listValues, secretLocation, withinBootTimeout } from '../client-setup.js';
import { nodePlatform, resolveOrThrow } from '../load-secrets.js';
import {
  type CliIo,
  locationFlags,
  locationHelp,
  optionsFromFlags,
  parseFlags,
  UsageError,
} from './common.js';
import { textOrRefuse } from './export.js';
import { toDotenv } from './export-formats.js';

/** Help of `kms secrets`. */
export const secretsHelp = `Usage: kms secrets get KEY [--no-newline] [options]
       kms secrets list [--values] [--format table|json|dotenv] [options]
       kms secrets set KEY=VALUE [KEY2=VALUE2 ...] [options]
       kms secrets delete KEY [KEY2 ...] [options]
       kms secrets history KEY [--values] [--format table|json] [options]
       kms secrets rollback KEY --version N [options]

get      prints the value of KEY followed by a newline (nothing else on stdout)
list     prints the keys of the folder, one per line; --values adds the values (table, json or dotenv)
set      creates or updates the secrets in one request and names them, never their values. A value can
         come from a file (KEY=@path, read exactly) or from stdin (KEY=-, one trailing newline removed):
         prefer those for real secrets, since arguments show up in process listings and shell history
delete   deletes the secrets named
history  prints the kept versions of KEY, newest first (version and time; --values adds the values)
rollback writes version N's value of KEY as its next version (names the versions, never the value);
         a rollback is itself a version, so it can be rolled back

Writes and rollbacks need an identity allowed to write this folder (project role member or admin, or a custom role).

Options:
  --no-newline              get: do not print the trailing newline
  --values                  list, history: print the values too
  --format FORMAT           list: table (default), json or dotenv (dotenv needs --values);
                            history: table (default) or json
  --version N               rollback: the version to go back to

${locationHelp}
`;

/** Flags of `kms secrets`. */
export const secretsFlags = {
  ...locationFlags,
  'no-newline': { type: 'boolean' },
  values: { type: 'boolean' },
  format: { type: 'string' },
  version: { type: 'string' },
} as const;

/** Runs `kms secrets <subcommand>`; returns the exit code. */
export async function secretsCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags('secrets', args, secretsFlags, true);
  if (values.help || positionals.length === 0) {
    io.stdout.write(secretsHelp);
    return values.help ? 0 : 64;
  }
  const [sub, ...operands] = positionals;
  const run = subcommands[sub as keyof typeof subcommands];
  if (!run)
    throw new UsageError(
      `secrets: unknown subcommand "${sub}" (get, list, set, delete, history or rollback)`,
    );
  const config = resolveOrThrow(optionsFromFlags(values, io.env));
  const client = createClient(config, nodePlatform);
  try {
    return await run({ client, config, operands, values, io });
  } finally {
    void client.close();
  }
}

interface Invocation {
  client: KmsClient;
  config: ResolvedKmsConfig;
  operands: string[];
  values: ReturnType<typeof parseFlags>['values'];
  io: CliIo;
}

const subcommands = {
  get: secretsGet,
  list: secretsList,
  set: secretsSet,
  delete: secretsDelete,
  history: secretsHistory,
  rollback: secretsRollback,
} as const;

async function secretsGet({ client, config, operands, values, io }: Invocation): Promise<number> {
  const [key, ...extra] = operands;
  if (!key || extra.length > 0) throw new UsageError('secrets get: expects exactly one KEY');
  const secret = await withinBootTimeout(config, async (remaining) => {
    try {
      return await client.secrets.retrieve(
        {
          ...secretLocation(config),
          secretName: key,
          includeImports: config.includeImports,
          expandSecretReferences: config.expandSecretReferences,
        },
        remaining(),
      );
    } catch (error) {
      if (error instanceof KmsNotFoundError && /^(Personal )?Secret with name/i.test(error.serverMessage)) {
        throw new KmsBootError('not-found', `secret ${key} not found in ${locationLabel(config)}`, {
          cause: error,
        });
      }
      throw error;
    }
  });
  io.stdout.write(values['no-newline'] ? secret.secretValue : `${secret.secretValue}\n`);
  return 0;
}

async function secretsList({ client, config, operands, values, io }: Invocation): Promise<number> {
  if (operands.length > 0) throw new UsageError(`secrets list: unexpected argument "${operands[0]}"`);
  const format = typeof values.format === 'string' ? values.format : 'table';
  if (!['table', 'json', 'dotenv'].includes(format)) {
    throw new UsageError(`secrets list: --format must be table, json or dotenv, got "${format}"`);
  }
  const withValues = values.values === true;
  if (format === 'dotenv' && !withValues) {
    throw new UsageError('secrets list: --format dotenv prints values; add --values');
  }
  const secrets = await withinBootTimeout(config, (remaining) => listValues(client, config, remaining()));
  const keys = Object.keys(secrets).sort();
  if (format === 'json') {
    const shown = withValues ? Object.fromEntries(keys.map((key) => [key, secrets[key]!])) : keys;
    io.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
  } else if (format === 'dotenv') {
    io.stdout.write(
      textOrRefuse(
        toDotenv(secrets),
        'no dotenv quoting reads these back exactly (use kms export --format dotenv-export or json)',
      ),
    );
  } else if (withValues) {
    const width = Math.max(3, ...keys.map((key) => key.length));
    const rows = keys.map((key) => `${key.padEnd(width)}  ${JSON.stringify(secrets[key])}`);
    io.stdout.write([`${'KEY'.padEnd(width)}  VALUE`, ...rows].map((row) => `${row}\n`).join(''));
  } else {
    io.stdout.write(keys.map((key) => `${key}\n`).join(''));
  }
  return 0;
}

/** Reads `KEY=VALUE`, `KEY=@file` and `KEY=-` (stdin, at most once) into a map of values. */
async function valuesFrom(operands: string[], io: CliIo): Promise<Map<string, string>> {
  if (operands.length === 0) throw new UsageError('secrets set: expects KEY=VALUE [KEY2=VALUE2 ...]');
  const assigned = new Map<string, string>();
  let stdinUsed = false;
  for (const operand of operands) {
    const eq = operand.indexOf('=');
    const key = eq > 0 ? operand.slice(0, eq) : '';
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key)) {
      // Name only what precedes `=`: the operand may be a value typed in the wrong place.
      throw new UsageError(
        `secrets set: expects KEY=VALUE with KEY made of letters, digits, _ . - (got ${eq > 0 ? `"${key}"` : 'an operand without ='})`,
      );
    }
    if (assigned.has(key)) throw new UsageError(`secrets set: ${key} is given twice`);
    const raw = operand.slice(eq + 1);
    let value: string;
    if (raw === '-') {
      if (stdinUsed) throw new UsageError('secrets set: only one value can come from stdin (KEY=-)');
      if (!io.readStdin) throw new UsageError('secrets set: no stdin to read from');
      stdinUsed = true;
      value = (await io.readStdin()).replace(/\r?\n$/, '');
    } else if (raw.startsWith('@')) {
      try {
        value = readFileSync(raw.slice(1), 'utf8');
      } catch (error) {
        throw new UsageError(
          `secrets set: cannot read ${raw.slice(1)} for ${key} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
        );
      }
    } else {
      value = raw;
    }
    assigned.set(key, value);
  }
  return assigned;
}

/** A 403 on a write says what it takes, in one line. */
function writeRefused(error: unknown, config: ResolvedKmsConfig, verb: string): never {
  if (error instanceof KmsPermissionDeniedError && error.error !== 'TokenError') {
    throw new KmsBootError(
      'forbidden',
      `the identity may not ${verb} secrets in ${shortLocation(config)}: writes need a role that allows them (member, admin or a custom role)`,
      { cause: error },
    );
  }
  throw error;
}

async function secretsSet({ client, config, operands, io }: Invocation): Promise<number> {
  const assigned = await valuesFrom(operands, io);
  const { created, updated } = await withinBootTimeout(config, async (remaining) => {
    try {
      // Which keys exist decides the wording only; the write itself is one upsert.
      const { secrets } = await client.secrets.list(
        { ...secretLocation(config), includeImports: false, expandSecretReferences: false },
        remaining(),
      );
      const existing = new Set(secrets.map((secret) => secret.secretKey));
      await client.secrets.batch.update(
        {
          ...secretLocation(config),
          mode: 'upsert',
          secrets: [...assigned].map(([secretKey, secretValue]) => ({ secretKey, secretValue })),
        },
        remaining(),
      );
      const keys = [...assigned.keys()];
      return {
        created: keys.filter((key) => !existing.has(key)),
        updated: keys.filter((key) => existing.has(key)),
      };
    } catch (error) {
      writeRefused(error, config, 'write');
    }
  });
  const parts = [
    created.length ? `created ${created.join(', ')}` : '',
    updated.length ? `updated ${updated.join(', ')}` : '',
  ];
  io.stderr.write(`kms: ${parts.filter(Boolean).join('; ')} in ${shortLocation(config)}\n`);
  return 0;
}

async function secretsDelete({ client, config, operands, io }: Invocation): Promise<number> {
  if (operands.length === 0) throw new UsageError('secrets delete: expects KEY [KEY2 ...]');
  const keys = [...new Set(operands)];
  await withinBootTimeout(config, async (remaining) => {
    try {
      await client.secrets.batch.delete(
        { ...secretLocation(config), secrets: keys.map((secretKey) => ({ secretKey })) },
        remaining(),
      );
    } catch (error) {
      if (error instanceof KmsNotFoundError && /does not exist/i.test(error.serverMessage)) {
        throw new KmsBootError(
          'not-found',
          `not deleted: ${error.serverMessage.replace(/^One or more secrets does not exist: /, 'no secret ')} in ${shortLocation(config)}`,
          { cause: error },
        );
      }
      writeRefused(error, config, 'delete');
    }
  });
  io.stderr.write(`kms: deleted ${keys.join(', ')} from ${shortLocation(config)}\n`);
  return 0;
}

/** The id of KEY in the configured folder (read without its value), or a not-found failure. */
async function secretIdOf(
  client: KmsClient,
  config: ResolvedKmsConfig,
  key: string,
  requestOptions: RequestOptions,
) {
  try {
    const secret = await client.secrets.retrieve(
      {
        ...secretLocation(config),
        secretName: key,
        includeImports: false,
        expandSecretReferences: false,
        viewSecretValue: false,
      },
      requestOptions,
    );
    return secret.id;
  } catch (error) {
    if (error instanceof KmsNotFoundError && /^Secret with name/i.test(error.serverMessage)) {
      throw new KmsBootError('not-found', `secret ${key} not found in ${shortLocation(config)}`, {
        cause: error,
      });
    }
    throw error;
  }
}

/** The one KEY operand of `history` and `rollback`. */
function oneKey(operands: string[], sub: string): string {
  const [key, ...extra] = operands;
  if (!key || extra.length > 0) throw new UsageError(`secrets ${sub}: expects exactly one KEY`);
  return key;
}

async function secretsHistory({ client, config, operands, values, io }: Invocation): Promise<number> {
  const key = oneKey(operands, 'history');
  const format = typeof values.format === 'string' ? values.format : 'table';
  if (format !== 'table' && format !== 'json') {
    throw new UsageError(`secrets history: --format must be table or json, got "${format}"`);
  }
  const withValues = values.values === true;
  const versions = await withinBootTimeout(config, async (remaining) =>
    client.secrets.versions(
      { secretId: await secretIdOf(client, config, key, remaining()), limit: 100 },
      remaining(),
    ),
  );
  const rows = versions.map((v) => ({
    version: v.version,
    createdAt: v.updatedAt,
    ...(withValues ? { secretValue: v.secretValue } : {}),
  }));
  if (format === 'json') {
    io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return 0;
  }
  const width = Math.max(7, ...rows.map((r) => String(r.version).length));
  const lines = rows.map(
    (r) =>
      `${String(r.version).padEnd(width)}  ${r.createdAt}${withValues ? `  ${JSON.stringify(r.secretValue)}` : ''}`,
  );
  const header = `${'VERSION'.padEnd(width)}  CREATED${withValues ? `${' '.repeat(17)}  VALUE` : ''}`;
  io.stdout.write([header, ...lines].map((line) => `${line}\n`).join(''));
  return 0;
}

async function secretsRollback({ client, config, operands, values, io }: Invocation): Promise<number> {
  const key = oneKey(operands, 'rollback');
  const raw = typeof values.version === 'string' ? values.version : '';
  if (!/^[1-9]\d{0,8}$/.test(raw)) {
    throw new UsageError(
      `secrets rollback: --version N expects a version number${raw ? `, got "${raw}"` : ''}`,
    );
  }
  const version = Number(raw);
  const rolled = await withinBootTimeout(config, async (remaining) => {
    try {
      const secretId = await secretIdOf(client, config, key, remaining());
      return await client.secrets.rollback({ secretId, version }, remaining());
    } catch (error) {
      if (error instanceof KmsNotFoundError && /^Version /.test(error.serverMessage)) {
        throw new KmsBootError(
          'not-found',
          `${key} has no version ${version} in ${shortLocation(config)} (kms secrets history ${key} lists the kept ones)`,
          { cause: error },
        );
      }
      writeRefused(error, config, 'roll back');
    }
  });
  io.stderr.write(
    `kms: rolled back ${key} in ${shortLocation(config)} to version ${version} (now version ${rolled.version})\n`,
  );
  return 0;
}
