/**
 * Output formats of `kms export`: dotenv, JSON, YAML and a Kubernetes Secret manifest.
 *
 * @module
 */

/** Formats `kms export` can print. */
export const exportFormats = ['dotenv', 'dotenv-export', 'json', 'yaml', 'k8s-secret'] as const;
/** One of {@link exportFormats}. */
export type ExportFormat = (typeof exportFormats)[number];

/** The text of an export, or the keys it cannot represent exactly (never their values). */
export type ExportResult = { text: string } | { invalidKeys: string[] };

// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL cannot live in an environment variable
const NUL = /\u0000/;

/** Keys both dotenv parsers read back (the `dotenv` package takes `[\w.-]+`; a leading digit is refused too). */
const DOTENV_KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/**
 * Quotes one value so that Node's `util.parseEnv` and the `dotenv` package both read it back exactly:
 * single quotes when it has no `'` (both keep the content literally, newlines included), else
 * backticks when it has no backtick, else double quotes when it has neither `"` nor `\` (both
 * expand `\n` there, and neither has another escape that both honour). A carriage return survives
 * neither (`dotenv` turns every CR into LF), nor does a trailing backslash (`dotenv` reads it and the
 * closing quote as an escaped quote and runs on into the next line), and NUL no environment:
 * undefined means "cannot".
 */
export function dotenvQuote(value: string): string | undefined {
  if (value.includes('\r') || value.endsWith('\\') || NUL.test(value)) return undefined;
  if (!value.includes("'")) return `'${value}'`;
  if (!value.includes('`')) return `\`${value}\``;
  if (!value.includes('"') && !value.includes('\\')) return `"${value.replace(/\n/g, '\\n')}"`;
  return undefined;
}

/**
 * `KEY='value'` lines, quoting chosen per value ({@link dotenvQuote}) so every value round-trips through
 * `util.parseEnv` and `dotenv`. Keys or values no quoting can carry for both are returned instead.
 */
export function toDotenv(values: Readonly<Record<string, string>>): ExportResult {
  const lines: string[] = [];
  const invalidKeys: string[] = [];
  for (const key of Object.keys(values).sort()) {
    const quoted = DOTENV_KEY.test(key) ? dotenvQuote(values[key]!) : undefined;
    if (quoted === undefined) invalidKeys.push(key);
    else lines.push(`${key}=${quoted}\n`);
  }
  return invalidKeys.length > 0 ? { invalidKeys } : { text: lines.join('') };
}

/** Names a POSIX shell accepts after `export`. */
const SHELL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * `export KEY='value'` lines for `source` in sh, bash or zsh: inside single quotes the shell expands
 * nothing, and a `'` is written as `'\''`, so every value (backticks, `$`, newlines, CR) comes back as
 * it was. Keys that are not shell names, and values with NUL, are returned instead.
 */
export function toDotenvExport(values: Readonly<Record<string, string>>): ExportResult {
  const lines: string[] = [];
  const invalidKeys: string[] = [];
  for (const key of Object.keys(values).sort()) {
    const value = values[key]!;
    if (!SHELL_NAME.test(key) || NUL.test(value)) invalidKeys.push(key);
    else lines.push(`export ${key}='${value.replace(/'/g, "'\\''")}'\n`);
  }
  return invalidKeys.length > 0 ? { invalidKeys } : { text: lines.join('') };
}

/** A JSON object, keys sorted, two-space indented. */
export function toJson(values: Readonly<Record<string, string>>): string {
  const sorted: Record<string, string> = {};
  for (const key of Object.keys(values).sort()) sorted[key] = values[key]!;
  return `${JSON.stringify(sorted, null, 2)}\n`;
}

/**
 * A YAML double-quoted scalar. JSON's escapes are YAML's too, but YAML also requires escaping the C1
 * controls, U+2028/U+2029 (line breaks to YAML) and a byte-order mark, which JSON leaves raw, and it
 * normalises raw line breaks: so every one of them is written as `\uXXXX`.
 */
function yamlString(text: string): string {
  return JSON.stringify(text).replace(
    /[\u007f-\u009f\u2028\u2029\ufeff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** A flat YAML mapping with every key and value double-quoted, so no value is read as a number, bool or null. */
export function toYaml(values: Readonly<Record<string, string>>): string {
  const keys = Object.keys(values).sort();
  if (keys.length === 0) return '{}\n';
  return keys.map((key) => `${yamlString(key)}: ${yamlString(values[key]!)}\n`).join('');
}

/** Valid Kubernetes Secret data keys. */
const K8S_KEY = /^[-._a-zA-Z0-9]+$/;

/** Options of {@link toK8sSecret}. */
export interface K8sSecretOptions {
  /** `metadata.name`. */
  name: string;
  /** `metadata.namespace`, omitted when undefined. */
  namespace?: string | undefined;
  /** Annotations recording where the values came from (no values). */
  annotations?: Record<string, string>;
}

/** A DNS-1123 subdomain made from `text` (lower case, `[a-z0-9.-]`, at most 253 characters). */
export function k8sName(text: string): string {
  const name = text
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '')
    .slice(0, 253);
  return name || 'kms-secrets';
}

/**
 * A `v1/Secret` manifest of type Opaque with base64 `data`, ready for `kubectl apply -f -`. Returns the
 * names of keys that are not valid Secret keys instead, so the caller can refuse with their names.
 */
export function toK8sSecret(
  values: Readonly<Record<string, string>>,
  options: K8sSecretOptions,
): { manifest: string } | { invalidKeys: string[] } {
  const keys = Object.keys(values).sort();
  const invalidKeys = keys.filter((k) => !K8S_KEY.test(k));
  if (invalidKeys.length > 0) return { invalidKeys };
  const lines = ['apiVersion: v1', 'kind: Secret', 'metadata:', `  name: ${yamlString(options.name)}`];
  if (options.namespace) lines.push(`  namespace: ${yamlString(options.namespace)}`);
  lines.push('  labels:', '    app.kubernetes.io/managed-by: "hanzo-kms"');
  const annotations = Object.entries(options.annotations ?? {});
  if (annotations.length > 0) {
    lines.push('  annotations:');
    for (const [k, v] of annotations) lines.push(`    ${k}: ${yamlString(v)}`);
  }
  lines.push('type: Opaque');
  if (keys.length === 0) lines.push('data: {}');
  else {
    lines.push('data:');
    // Keys and data are quoted: a key such as `true` or `1e3`, or an empty value, is no string to YAML unquoted.
    for (const key of keys)
      lines.push(`  ${yamlString(key)}: "${Buffer.from(values[key]!, 'utf8').toString('base64')}"`);
  }
  return { manifest: `${lines.join('\n')}\n` };
}
