/**
 * The client-bundle leak check: looks for current secret values in what a build serves to browsers.
 * Reports key names and file paths only, never a value.
 *
 * @module
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Options of {@link checkClientBundle}. */
export interface CheckClientBundleOptions {
  /** The build directory (Next's `distDir`). @default ".next" */
  distDir?: string;
  /** The secret values to look for, by key. */
  secrets: Readonly<Record<string, string>>;
  /**
   * Values shorter than this are not searched (a value like `1` or `true` appears everywhere); their keys
   * are listed in `skipped`.
   * @default 8
   */
  minLength?: number;
  /**
   * Also scan prerendered pages (`server/app/**.html|.rsc|.body`, `server/pages/**.html|.json`), which are
   * served to browsers as they are.
   * @default true
   */
  includePrerendered?: boolean;
}

/** One leaked key: its name and where it was found. */
export interface LeakFinding {
  key: string;
  /** Files containing the value, relative to `distDir`. */
  files: string[];
}

/** What {@link checkClientBundle} found. */
export interface CheckClientBundleResult {
  /** Keys whose value appears in client output. Empty when the build is clean. */
  leaks: LeakFinding[];
  /** Keys not searched because their value is shorter than `minLength`. */
  skipped: string[];
  /** Number of files scanned. */
  filesScanned: number;
}

const textFile = /\.(m?js|cjs|css|html?|json|map|txt|rsc|body|svg|xml|webmanifest)$/i;

function walk(dir: string, out: string[], filter: (path: string) => boolean): void {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of entries) {
    const path = join(dir, name);
    const stat = statSync(path);
    if (stat.isDirectory()) walk(path, out, filter);
    else if (stat.isFile() && filter(path)) out.push(path);
  }
}

/** The forms a value may take in a bundle: as is, and escaped inside a JS/JSON string literal. */
function forms(value: string): string[] {
  const escaped = JSON.stringify(value).slice(1, -1);
  const variants = new Set([value, escaped, escaped.replaceAll('/', '\\/')]);
  return [...variants];
}

/**
 * Scans a Next build's client output (`<distDir>/static`, plus prerendered pages by default) for any of
 * `secrets`' values. Throws if `<distDir>/static` does not exist (no build to check).
 */
export function checkClientBundle(options: CheckClientBundleOptions): CheckClientBundleResult {
  const distDir = options.distDir ?? '.next';
  const minLength = options.minLength ?? 8;
  const staticDir = join(distDir, 'static');
  let isDir = false;
  try {
    isDir = statSync(staticDir).isDirectory();
  } catch {}
  if (!isDir) throw new Error(`${staticDir} does not exist: run \`next build\` first (or pass --dir)`);

  const files: string[] = [];
  walk(staticDir, files, (p) => textFile.test(p));
  if (options.includePrerendered !== false) {
    walk(join(distDir, 'server', 'app'), files, (p) => /\.(html|rsc|body)$/i.test(p));
    walk(join(distDir, 'server', 'pages'), files, (p) => /\.(html|json)$/i.test(p));
  }

  const skipped: string[] = [];
  const needles: [string, string[]][] = [];
  for (const [key, value] of Object.entries(options.secrets)) {
    if (value.length < minLength) skipped.push(key);
    else needles.push([key, forms(value)]);
  }

  const found = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const [key, variants] of needles) {
      if (variants.some((v) => text.includes(v))) {
        const list = found.get(key) ?? [];
        list.push(relative(distDir, file));
        found.set(key, list);
      }
    }
  }
  return {
    leaks: [...found.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, list]) => ({ key, files: list.sort() })),
    skipped: skipped.sort(),
    filesScanned: files.length,
  };
}
