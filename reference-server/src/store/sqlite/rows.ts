/** Row <-> record conversion helpers shared by the SQLite repositories. */
export const bool = (v: unknown) => v === 1 || v === true;
export const json = <T>(v: unknown, fallback: T): T =>
  typeof v === 'string' ? (JSON.parse(v) as T) : fallback;
export type Row = Record<string, unknown>;
