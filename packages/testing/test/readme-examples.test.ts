// The README's four examples, run as written: with Vitest (in a child run) and with Jest. They are
// copied into .readme-examples/ inside this package, so their imports resolve as in a user's project.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';

const run = promisify(execFile);
const vitestBin = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(packageDir, '.readme-examples');

function example(name: string): string {
  const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
  const code = new RegExp(`<!-- example: ${name} -->\\s*\`\`\`(?:ts|js)\\n([\\s\\S]*?)\`\`\``).exec(
    readme,
  )?.[1];
  if (!code) throw new Error(`README example ${name} not found`);
  return code;
}

beforeAll(() => {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'vitest-server.test.generated.mjs'), example('vitest-server'));
  writeFileSync(join(dir, 'vitest-msw.test.generated.mjs'), example('vitest-msw'));
  writeFileSync(join(dir, 'jest-server.test.generated.cjs'), example('jest-server'));
  writeFileSync(join(dir, 'jest-msw.test.generated.cjs'), example('jest-msw'));
  writeFileSync(
    join(dir, 'vitest.config.generated.mjs'),
    "export default { test: { include: ['*.test.generated.mjs'], testTimeout: 20000 } };\n",
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('the Vitest examples pass', async () => {
  const { stdout } = await run(
    process.execPath,
    [vitestBin, 'run', '--root', dir, '--config', 'vitest.config.generated.mjs'],
    { cwd: dir, env: { ...process.env, CI: 'true' } },
  );
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips the colour codes of the child's report
  expect(stdout.replace(/\u001b\[[0-9;]*m/g, '')).toMatch(/Tests\s+2 passed/);
}, 60_000);

it('the Jest examples pass', async () => {
  const { stderr } = await run(
    process.execPath,
    [
      // As the README says: Jest loads the ESM-only dependencies (jose, msw's) only this way (Node 24.9+).
      '--experimental-vm-modules',
      join(packageDir, 'node_modules', 'jest', 'bin', 'jest.js'),
      '--rootDir',
      dir,
      '--testMatch',
      '**/*.test.generated.cjs',
      '--ci',
    ],
    { cwd: dir, env: { ...process.env, CI: 'true' } },
  );
  expect(stderr).toMatch(/Tests:\s+2 passed, 2 total/);
}, 60_000);

it('the README installs msw within the peer range, the major the examples run with', () => {
  const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
  const installed = JSON.parse(
    readFileSync(createRequire(import.meta.url).resolve('msw/package.json'), 'utf8'),
  ) as { version: string };
  const documented = /^pnpm add -D 'msw@([^']+)'/m.exec(readme)?.[1];
  expect(documented).toBe(manifest.peerDependencies.msw);
  expect(documented).toMatch(/^\^2\./);
  expect(installed.version.split('.')[0]).toBe('2');
});
