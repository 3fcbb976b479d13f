/**
 * The server's layering, checked on its sources (docs/architecture.md#server-layers): routers parse
 * and answer, services decide and call the store, `auth/` and `context.ts` stay below `domains/`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [relative(SRC, path).split('\\').join('/')] : [];
  });
}

const files = sourceFiles(SRC);
const read = (file: string) => readFileSync(join(SRC, file), 'utf8');
const importsOf = (file: string) =>
  [...read(file).matchAll(/^\s*(?:import|export)[^'"]*?from\s+'([^']+)'/gm)].map((m) => m[1] as string);

describe('server layering', () => {
  const routers = files.filter((f) => f.endsWith('-router.ts'));

  it('finds the routers it checks', () => {
    expect(routers).toContain('domains/projects/projects-router.ts');
    expect(routers).toContain('auth/universal-auth-router.ts');
    expect(routers.length).toBeGreaterThan(15);
  });

  it('no router touches ctx.store: the services do', () => {
    expect(routers.filter((f) => /\bctx\.store\b/.test(read(f)))).toEqual([]);
  });

  it('auth/ does not import domains/', () => {
    const offending = files
      .filter((f) => f.startsWith('auth/'))
      .flatMap((f) =>
        importsOf(f)
          .filter((i) => i.includes('/domains/'))
          .map((i) => `${f} -> ${i}`),
      );
    expect(offending).toEqual([]);
  });

  it('context.ts imports no domain', () => {
    expect(importsOf('context.ts').filter((i) => i.includes('/domains/'))).toEqual([]);
  });
});

/** True when the file opens (after a `#!` line) with a comment: what the file holds comes first. */
function hasOpeningComment(text: string): boolean {
  return /^(?:#![^\n]*\n)?\s*(?:\/\*|\/\/)/.test(text);
}

describe('opening comments', () => {
  it('recognises an opening comment, after a #! line too, and its absence', () => {
    expect(hasOpeningComment('/**\n * What this holds.\n */\nimport x from "y";\n')).toBe(true);
    expect(hasOpeningComment('#!/usr/bin/env node\n// What this holds.\nimport x from "y";\n')).toBe(true);
    expect(hasOpeningComment('import x from "y";\n/** A. */\nexport const a = x;\n')).toBe(false);
    expect(hasOpeningComment('#!/usr/bin/env node\nimport x from "y";\n')).toBe(false);
  });

  it('every server source file opens with a comment saying what it holds', () => {
    expect(files.filter((f) => !hasOpeningComment(read(f)))).toEqual([]);
  });
});
