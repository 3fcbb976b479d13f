// The profile the README points at (bench/profile-breakdown.mjs) runs as printed and attributes
// the server's CPU to the steps of a request; a short load keeps it a smoke test, not a measurement.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);

it('node bench/profile-breakdown.mjs encrypt prints the steps of a request', async () => {
  const { stdout } = await run(process.execPath, ['bench/profile-breakdown.mjs', 'encrypt'], {
    cwd: new URL('..', import.meta.url),
    env: { ...process.env, BENCH_SECONDS: '1' },
  });
  expect(stdout).toMatch(/^encrypt: \d+ req\/s under load/);
  for (const step of ['JWT check', 'token lookup (SQL', 'audit entry', 'KMS cipher', 'HTTP, Express'])
    expect(stdout).toContain(step);
}, 60_000);
