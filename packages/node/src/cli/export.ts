/**
 * `kms export --format dotenv|json|yaml|k8s-secret`: prints the secrets of a folder (values included:
 * that is what was asked for) to stdout.
 *
 * @module
 */
import { KmsBootError } from '../boot-error.js';
import { projectLabel } from '../config.js';
import { fetchSecrets, resolveOrThrow } from '../load-secrets.js';
import {
  type CliIo,
  locationFlags,
  locationHelp,
  optionsFromFlags,
  parseFlags,
  UsageError,
} from './common.js';
import {
  type ExportFormat,
  type ExportResult,
  exportFormats,
  k8sName,
  toDotenv,
  toDotenvExport,
  toJson,
  toK8sSecret,
  toYaml,
} from './export-formats.js';

/** Help of `kms export`. */
export const exportHelp = `Usage: kms export [--format dotenv|dotenv-export|json|yaml|k8s-secret] [options]

Prints the secrets of a folder to stdout, values included. Nothing is written to disk or to the
environment. Pipe it where it belongs, e.g. \`kms export --format k8s-secret --name api | kubectl apply -f -\`.

Output:
  --format FORMAT           dotenv (default): KEY='value' lines that Node's util.parseEnv and the dotenv
                            package read back exactly (a value neither can carry is refused, exit 65);
                            dotenv-export: export KEY='value' lines, safe for \`source\` in sh and bash
                            for every value; json; yaml; k8s-secret
  --name NAME               k8s-secret: metadata.name (default: <project>-<environment>)
  --namespace NS            k8s-secret: metadata.namespace (default: none, kubectl's current namespace)

${locationHelp}
`;

/** The export's text, or a refusal (exit 65) naming the keys it cannot carry, never their values. */
export function textOrRefuse(result: ExportResult, why: string): string {
  if ('text' in result) return result.text;
  throw new KmsBootError('invalid-secrets', `${why}: ${result.invalidKeys.join(', ')}`, {
    keys: result.invalidKeys,
  });
}

/** Flags of `kms export`. */
export const exportFlags = {
  ...locationFlags,
  format: { type: 'string' },
  name: { type: 'string' },
  namespace: { type: 'string' },
} as const;

/** Runs `kms export`; returns the exit code. */
export async function exportCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags('export', args, exportFlags, false);
  if (values.help) {
    io.stdout.write(exportHelp);
    return 0;
  }
  const format = (values.format ?? 'dotenv') as string;
  if (!(exportFormats as readonly string[]).includes(format)) {
    throw new UsageError(`export: --format must be one of ${exportFormats.join(', ')}, got "${format}"`);
  }
  const config = resolveOrThrow(optionsFromFlags(values, io.env));
  const secrets = await fetchSecrets(config);
  let output: string;
  switch (format as ExportFormat) {
    case 'json':
      output = toJson(secrets);
      break;
    case 'yaml':
      output = toYaml(secrets);
      break;
    case 'dotenv-export':
      output = textOrRefuse(
        toDotenvExport(secrets),
        'keys that are not shell variable names, or values holding NUL, cannot be exported for a shell',
      );
      break;
    case 'k8s-secret': {
      const result = toK8sSecret(secrets, {
        name:
          typeof values.name === 'string'
            ? values.name
            : k8sName(`${projectLabel(config)}-${config.environment}`),
        namespace: typeof values.namespace === 'string' ? values.namespace : undefined,
        annotations: {
          'kms.hanzo.ai/project': projectLabel(config),
          'kms.hanzo.ai/environment': config.environment,
          'kms.hanzo.ai/secret-path': config.secretPath,
        },
      });
      if ('invalidKeys' in result) {
        throw new KmsBootError(
          'invalid-secrets',
          `keys not allowed in a Kubernetes Secret (only letters, digits, - . _): ${result.invalidKeys.join(', ')}`,
          { keys: result.invalidKeys },
        );
      }
      output = result.manifest;
      break;
    }
    default:
      output = textOrRefuse(
        toDotenv(secrets),
        'no dotenv quoting reads these back exactly in both util.parseEnv and dotenv (use --format dotenv-export or json)',
      );
  }
  io.stdout.write(output);
  return 0;
}
