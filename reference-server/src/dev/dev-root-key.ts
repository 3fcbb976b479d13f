/**
 * Where `kms-server dev` takes its root key from. Dev mode only; `start` never generates a key.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Dev mode only: the root key comes from ROOT_ENCRYPTION_KEY, else from `<dataDir>/root.key`,
 * generated (mode 0600) on first start. `start` never does this.
 */
export function devRootKey(dataDir: string, env: NodeJS.ProcessEnv): { key: string; source: string } {
  if (env.ROOT_ENCRYPTION_KEY) return { key: env.ROOT_ENCRYPTION_KEY, source: 'ROOT_ENCRYPTION_KEY' };
  const file = join(dataDir, 'root.key');
  if (existsSync(file)) return { key: readFileSync(file, 'utf8').trim(), source: file };
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(32).toString('base64');
  writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  return { key, source: `${file} (generated now)` };
}
