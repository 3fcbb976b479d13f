// The profile the README points at (bench/profile-breakdown.mjs) runs as printed and attributes
// the server's CPU to the steps of a request, and the floor of the required work
// (bench/required-work-floor.mjs) prints its table; a short load keeps them smoke tests, not
// measurements.
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

it('node bench/required-work-floor.mjs prints the floor next to the baselines and the server', async () => {
  const { stdout } = await run(process.execPath, ['bench/required-work-floor.mjs'], {
    cwd: new URL('..', import.meta.url),
    env: { ...process.env, BENCH_SECONDS: '1' },
  });
  expect(stdout).toMatch(/^The floor of the required work/);
  for (const row of ['list of 100 (SQLite)', 'encrypt (aes-256-gcm, 1 KiB)'])
    expect(stdout).toMatch(new RegExp(`${row.replace(/[()]/g, '\\$&')} +\\d+ +\\d+ +\\d+ +\\d\\.\\d\\d`));
}, 60_000);
