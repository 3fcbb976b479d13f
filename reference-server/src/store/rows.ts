/** Row <-> record conversion helpers shared by the repositories (store/repositories/). */
export const bool = (v: unknown) => v === 1 || v === true;
export const json = <T>(v: unknown, fallback: T): T =>
  typeof v === 'string' ? (JSON.parse(v) as T) : fallback;
export type { Row } from './sql/database.js';
import type { Row } from './sql/database.js';

const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * SQLite's BINARY collation (UTF-8 byte order). UTF-16 code-unit order is the same except
 * where surrogate pairs meet U+E000..U+FFFF, so only those strings are compared as UTF-8.
 */
export function compareText(a: string, b: string): number {
  if (a === b) return 0;
  if (SURROGATE.test(a) || SURROGATE.test(b)) return Buffer.compare(Buffer.from(a), Buffer.from(b));
  return a < b ? -1 : 1;
}

/**
 * `ORDER BY k1, k2, ...` in memory for small result sets (text or integer columns, no NULLs).
 * SQLite builds a temporary sorter for every ORDER BY that no index satisfies, a fixed cost that
 * dominated the per-request lookups (folders, tags, roles: ~10 us each vs ~1-3 us unsorted).
 * Array.prototype.sort is stable, as SQLite's sorter is for ties (scan order).
 */
export function orderBy<T extends Row>(rows: T[], ...keys: string[]): T[] {
  if (rows.length < 2) return rows;
  return rows.sort((x, y) => {
    for (const k of keys) {
      const a = x[k];
      const b = y[k];
      if (a === b) continue;
      if (typeof a === 'number' && typeof b === 'number') return a - b;
      const c = compareText(String(a), String(b));
      if (c !== 0) return c;
    }
    return 0;
  });
}

/** `alias.column AS prefix_column, …`: a joined table's columns, prefixed so rows can share a statement. */
export const aliased = (alias: string, prefix: string, columns: string[]) =>
  columns.map((c) => `${alias}.${c} AS ${prefix}${c}`).join(', ');

/**
 * The prefixed names of `columns`, made once: a property looked up by a freshly concatenated string
 * is hashed again on every lookup, which made mapping a joined row cost more than reading it.
 */
const prefixedNames = new WeakMap<string[], Map<string, string[]>>();

/** The columns `prefix_column` of a joined row, named `column` (the inverse of {@link aliased}). */
export function pick(r: Row, prefix: string, columns: string[]): Row {
  let byPrefix = prefixedNames.get(columns);
  if (!byPrefix) {
    byPrefix = new Map();
    prefixedNames.set(columns, byPrefix);
  }
  let names = byPrefix.get(prefix);
  if (!names) {
    names = columns.map((c) => `${prefix}${c}`);
    byPrefix.set(prefix, names);
  }
  const out: Row = {};
  for (let i = 0; i < columns.length; i++) out[columns[i] as string] = r[names[i] as string];
  return out;
}
