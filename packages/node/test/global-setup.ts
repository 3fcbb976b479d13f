// Child processes in these tests run the BUILT package. turbo runs `build` before `test`; when the suite
// is started by hand, fail at once with what to do rather than test a stale or missing dist/.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { packageDir } from './helpers.ts';

function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

export default function checkBuilt(): void {
  const outputs = ['index.js', 'index.cjs', 'register.js', 'register.cjs', 'cli.js'].map((f) =>
    join(packageDir, 'dist', f),
  );
  let oldestOutput: number;
  try {
    oldestOutput = Math.min(...outputs.map((f) => statSync(f).mtimeMs));
  } catch {
    throw new Error('@hanzo/kms-node: dist/ is missing; run `pnpm build` (or `pnpm turbo run test`) first');
  }
  if (newest(join(packageDir, 'src')) > oldestOutput) {
    throw new Error(
      '@hanzo/kms-node: dist/ is older than src/; run `pnpm build` (or `pnpm turbo run test`) first',
    );
  }
}
