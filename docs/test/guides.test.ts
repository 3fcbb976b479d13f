// The guides must not rot: every relative link in them (and in the READMEs) points at a file and
// heading that exist; every TypeScript block type-checks against the packages as built; every shell
// block parses (bash -n); every YAML block parses.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';

const docsDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const repo = join(docsDir, '..');
const guides = [
  ...readdirSync(docsDir)
    .filter((f) => f.endsWith('.md'))
    .map((f) => join(docsDir, f)),
  ...readdirSync(join(docsDir, 'reference')).map((f) => join(docsDir, 'reference', f)),
];
const readmes = [
  join(repo, 'README.md'),
  join(repo, 'reference-server', 'README.md'),
  ...['sdk', 'node', 'nextjs', 'nestjs', 'testing'].map((p) => join(repo, 'packages', p, 'README.md')),
  ...readdirSync(join(repo, 'examples'))
    .map((e) => join(repo, 'examples', e, 'README.md'))
    .filter((f) => existsSync(f)),
];

/** GitHub's heading anchors: lowercase, punctuation dropped, spaces to dashes, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  let inFence = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) inFence = !inFence;
    const heading = !inFence && /^#{1,6}\s+(.*)$/.exec(line);
    if (!heading) continue;
    const base = (heading[1] as string)
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .trim()
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n ? `${base}-${n}` : base);
  }
  return out;
}

/** Fenced blocks of a markdown file, with their language. */
function blocks(markdown: string): { lang: string; code: string; line: number }[] {
  const out: { lang: string; code: string; line: number }[] = [];
  const re = /^```(\w*)\n([\s\S]*?)^```$/gm;
  for (const m of markdown.matchAll(re))
    out.push({
      lang: m[1] as string,
      code: m[2] as string,
      line: markdown.slice(0, m.index).split('\n').length,
    });
  return out;
}

describe('links', () => {
  it.each([...guides, ...readmes].map((f) => [relative(repo, f), f]))('%s', (_name, file) => {
    const text = readFileSync(file, 'utf8').replace(/^```[\s\S]*?^```$/gm, '');
    const broken: string[] = [];
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1] as string;
      if (/^(https?:|mailto:)/.test(target)) continue;
      const [path, hash] = target.split('#') as [string, string | undefined];
      const resolved = path ? resolve(dirname(file), path) : file;
      if (!existsSync(resolved)) {
        broken.push(`${target}: no such file`);
        continue;
      }
      if (hash && resolved.endsWith('.md') && !anchors(readFileSync(resolved, 'utf8')).has(hash))
        broken.push(`${target}: no heading with that anchor`);
    }
    expect(broken).toEqual([]);
  });
});

describe('code blocks of the guides', () => {
  const all = guides.flatMap((file) => blocks(readFileSync(file, 'utf8')).map((b) => ({ ...b, file })));

  it('every TypeScript block type-checks', () => {
    const out = join(docsDir, '.compiled');
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    const ts = all.filter((b) => b.lang === 'ts');
    expect(ts.length).toBeGreaterThan(15);
    const names: string[] = [];
    for (const b of ts) {
      const name = `${relative(docsDir, b.file).replace(/[/.]/g, '_')}_line${b.line}.ts`;
      names.push(name);
      // Each block is a module of its own (`export {}` keeps top-level names apart).
      writeFileSync(join(out, name), `${b.code}\nexport {};\n`);
    }
    writeFileSync(
      join(out, 'tsconfig.json'),
      readFileSync(join(docsDir, 'test', 'guides.tsconfig.json'), 'utf8'),
    );
    writeFileSync(
      join(out, 'globals.d.ts'),
      readFileSync(join(docsDir, 'test', 'guides-globals.d.ts'), 'utf8'),
    );
    const tsc = join(
      dirname(createRequire(import.meta.url).resolve('typescript/package.json')),
      'bin',
      'tsc',
    );
    let report = '';
    try {
      execFileSync(process.execPath, [tsc, '-p', join(out, 'tsconfig.json')], { encoding: 'utf8' });
    } catch (error) {
      report = String((error as { stdout?: string }).stdout);
    }
    expect(report).toBe('');
    rmSync(out, { recursive: true, force: true });
  }, 120_000);

  it('every shell block parses', () => {
    const failures = all
      .filter((b) => b.lang === 'sh' || b.lang === 'bash')
      .flatMap((b) => {
        try {
          execFileSync('bash', ['-n'], { input: b.code, stdio: ['pipe', 'pipe', 'pipe'] });
          return [];
        } catch (error) {
          return [`${relative(repo, b.file)}:${b.line}: ${String((error as { stderr?: Buffer }).stderr)}`];
        }
      });
    expect(failures).toEqual([]);
  });

  it('every YAML block parses', () => {
    const failures = all
      .filter((b) => b.lang === 'yaml' || b.lang === 'yml')
      .flatMap((b) => {
        try {
          parseYaml(b.code);
          return [];
        } catch (error) {
          return [`${relative(repo, b.file)}:${b.line}: ${(error as Error).message.split('\n')[0]}`];
        }
      });
    expect(failures).toEqual([]);
  });
});
