/**
 * The one check of explicit options, with the rules of the settings table (`settings.ts`). Every entry point (`resolveConfig`,
 * `createSecretsSession`, `loadSecrets`, `watchSecrets`) and every adapter (`withKms`, `KmsModule`)
 * checks its options with {@link findOptionProblem}, passing the rules of the options it adds, so a
 * typo or a wrong type fails with the same words everywhere. Hand-written rather than a schema library:
 * the boot runs this on every start, and a schema library's first use costs milliseconds there.
 *
 * @module
 */
import { closestName } from '@hanzo/kms/internal';
import { type KmsNodeOptions, type OptionRule, SETTINGS, settingNames, isHttpUrl } from './settings.js';

const isObject = (v: unknown): v is object => typeof v === 'object' && v !== null;
const isWholeMs = (v: unknown, min: number) => typeof v === 'number' && Number.isInteger(v) && v >= min;

/** Each rule's test and the words of its failure, phrased to follow the option's name. */
const RULES: Record<OptionRule, [test: (v: unknown) => boolean, problem: string]> = {
  string: [(v) => typeof v === 'string' && v.trim() !== '', 'must be a non-empty string'],
  boolean: [(v) => typeof v === 'boolean', 'must be true or false'],
  url: [isHttpUrl, 'must be an http(s) URL'],
  path: [(v) => typeof v === 'string' && v.startsWith('/'), 'must start with /'],
  milliseconds: [(v) => isWholeMs(v, 1), 'must be a positive whole number of milliseconds'],
  interval: [
    (v) => isWholeMs(v, 0),
    'must be a whole number of milliseconds, 0 or more (0 turns refresh off)',
  ],
  envMerge: [
    (v) => v === 'preserve' || v === 'override' || v === 'error',
    'must be one of preserve, override, error',
  ],
  authMethod: [
    (v) => v === 'universal-auth' || v === 'oidc' || v === 'jwt',
    'must be one of universal-auth, oidc, jwt',
  ],
  object: [isObject, 'must be an object'],
  schema: [
    (v) =>
      isObject(v) &&
      typeof (v as { '~standard'?: { validate?: unknown } })['~standard']?.validate === 'function',
    'must be a Standard Schema (e.g. a zod 4 object schema)',
  ],
  writeEnv: [(v) => typeof v === 'boolean' || isObject(v), 'must be true, false or an environment object'],
  function: [(v) => typeof v === 'function', 'must be a function'],
};

/** @internal The rule of every {@link KmsNodeOptions} key, from the settings table (`settings.ts`). */
export const kmsNodeOptionRules: Readonly<Record<keyof KmsNodeOptions, OptionRule>> = Object.freeze(
  Object.fromEntries(settingNames.map((name) => [name, SETTINGS[name].rule])) as Record<
    keyof KmsNodeOptions,
    OptionRule
  >,
);

/** @internal What is wrong with an explicit option: its name and the problem, never its value. */
export interface OptionProblem {
  /** The option, e.g. `secretPath` (the first unknown key for a typo). */
  field: string;
  /** What is wrong, phrased to follow the option's name, e.g. `must start with /`. */
  problem: string;
}

/**
 * @internal Checks explicit options against {@link kmsNodeOptionRules} plus the `extra` rules of the caller's own
 * options, and that `projectId` and `projectSlug` are not both set, without reading the environment,
 * the files or the network. Returns the first problem, or `undefined` when the options are well-formed.
 * `optionsOf` names whose options they are in the message for an unknown key (`is not an option of
 * <optionsOf>`), so an adapter reports them as its own.
 *
 * ```ts
 * findOptionProblem({ secretPath: 'app' }); // { field: 'secretPath', problem: 'must start with /' }
 * findOptionProblem({ loadAtBuild: 1 }, '@hanzo/kms-nextjs', { loadAtBuild: 'boolean' });
 * ```
 */
export function findOptionProblem(
  options: unknown,
  optionsOf = '@hanzo/kms-node',
  extra: Readonly<Record<string, OptionRule>> = {},
): OptionProblem | undefined {
  if (!isObject(options) || Array.isArray(options)) return { field: 'options', problem: 'must be an object' };
  const given = options as Record<string, unknown>;
  for (const field of Object.keys(given)) {
    const rule = extra[field] ?? kmsNodeOptionRules[field as keyof KmsNodeOptions];
    if (rule === undefined) {
      const hint = closestName(field, [...Object.keys(kmsNodeOptionRules), ...Object.keys(extra)]);
      return { field, problem: `is not an option of ${optionsOf}${hint ? ` (did you mean ${hint}?)` : ''}` };
    }
    const value = given[field];
    if (value === undefined) continue;
    const [test, problem] = RULES[rule];
    if (!test(value)) {
      // A path that is not even a string gets the string problem.
      return { field, problem: rule === 'path' && typeof value !== 'string' ? RULES.string[1] : problem };
    }
  }
  if (given.projectId !== undefined && given.projectSlug !== undefined) {
    return { field: 'projectId', problem: 'and option projectSlug are both set; pass one of them' };
  }
  return undefined;
}
