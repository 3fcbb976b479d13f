/**
 * The local root-key file: created once with mode 0600, never overwritten.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { parseRootKey, RootKeyError } from './key-manager.js';

/**
 * A new local root key (base64 of 32 random bytes) written to `path` with mode 0600. Never
 * overwrites: a root key replaced by mistake makes every store it wrapped unreadable.
 */
export function writeNewRootKeyFile(path: string): void {
  try {
    writeFileSync(path, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new RootKeyError(
      code === 'EEXIST'
        ? `${path} already exists; a root key is never overwritten (the data it wraps would be lost): choose another --out`
        : `cannot write ${path} (${code ?? (error as Error).message})`,
    );
  }
}

/**
 * The root key kept in a file (`--root-key-file` / `ROOT_ENCRYPTION_KEY_FILE`), checked like the
 * variable. A file that other users can read is refused: the key opens every secret of the store.
 */
export function readRootKeyFile(path: string): string {
  let mode: number;
  let text: string;
  try {
    mode = statSync(path).mode;
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new RootKeyError(
      code === 'ENOENT'
        ? `root key file ${path} does not exist (make one with: kms-server keygen --out ${path})`
        : `cannot read root key file ${path} (${code ?? (error as Error).message})`,
    );
  }
  if ((mode & 0o077) !== 0)
    throw new RootKeyError(
      `root key file ${path} can be read by other users (mode ${(mode & 0o777).toString(8)}): run chmod 600 ${path}`,
    );
  parseRootKey(text, `root key file ${path}`);
  return text.trim();
}
