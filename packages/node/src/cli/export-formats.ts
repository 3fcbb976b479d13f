/**
 * Output formats of `kms export`: dotenv, JSON, YAML and a Kubernetes Secret manifest.
 *
 * @module
 */

/** Formats `kms export` can print. */
export const exportFormats = ['dotenv', 'json', 'yaml', 'k8s-secret'] as const;
/** One of {@link exportFormats}. */
export type ExportFormat = (typeof exportFormats)[number];

/** `KEY="value"` lines; `\`, `"`, newlines and carriage returns are escaped inside double quotes. */
export function toDotenv(values: Readonly<Record<string, string>>): string {
  return Object.keys(values)
    .sort()
    .map((key) => {
      const escaped = values[key]!.replace(/\\/g, '\\\\')
        .replace(/"/g, '\\"')
        .replace(/\n/g, '\\n')
        .replace(/\r/g, '\\r');
      return `${key}="${escaped}"\n`;
    })
    .join('');
}

/** A JSON object, keys sorted, two-space indented. */
export function toJson(values: Readonly<Record<string, string>>): string {
  const sorted: Record<string, string> = {};
  for (const key of Object.keys(values).sort()) sorted[key] = values[key]!;
  return `${JSON.stringify(sorted, null, 2)}\n`;
}

// JSON strings are valid YAML double-quoted scalars, so JSON.stringify is a correct YAML quoter.
const yamlKey = (key: string) => (/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key) ? key : JSON.stringify(key));

/** A flat YAML mapping with every value double-quoted. */
export function toYaml(values: Readonly<Record<string, string>>): string {
  const keys = Object.keys(values).sort();
  if (keys.length === 0) return '{}\n';
  return keys.map((key) => `${yamlKey(key)}: ${JSON.stringify(values[key])}\n`).join('');
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
  const lines = ['apiVersion: v1', 'kind: Secret', 'metadata:', `  name: ${JSON.stringify(options.name)}`];
  if (options.namespace) lines.push(`  namespace: ${JSON.stringify(options.namespace)}`);
  lines.push('  labels:', '    app.kubernetes.io/managed-by: "hanzo-kms"');
  const annotations = Object.entries(options.annotations ?? {});
  if (annotations.length > 0) {
    lines.push('  annotations:');
    for (const [k, v] of annotations) lines.push(`    ${k}: ${JSON.stringify(v)}`);
  }
  lines.push('type: Opaque');
  if (keys.length === 0) lines.push('data: {}');
  else {
    lines.push('data:');
    for (const key of keys) lines.push(`  ${key}: ${Buffer.from(values[key]!, 'utf8').toString('base64')}`);
  }
  return { manifest: `${lines.join('\n')}\n` };
}
