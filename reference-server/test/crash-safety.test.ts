import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startCli } from './helpers/cli-process.js';

async function devInstance(dir: string) {
  const p = startCli(['dev', '--port', '0', '--data-dir', dir], { KMS_RATE_LIMIT: 'off' });
  const [, url] = await p.waitFor(/Site URL\s+(\S+)/);
  const [, adminToken] = await p.waitFor(/Admin token\s+(\S+)/);
  const [, projectId] = await p.waitFor(/Demo project\s+demo \(([^)]+)\)/);
  return { p, url: url!, adminToken: adminToken!, projectId: projectId! };
}

describe('crash safety', () => {
  it('loses no acknowledged write when the server process is killed with SIGKILL mid-stream', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kms-crash-'));
    const first = await devInstance(dir);
    const acknowledged: string[] = [];
    let inFlight = 0;
    let killed = false;
    const writer = async (worker: number) => {
      for (let i = 0; !killed; i++) {
        const key = `CRASH_${worker}_${i}`;
        inFlight++;
        try {
          const res = await fetch(`${first.url}/api/v3/secrets/raw/${key}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${first.adminToken}` },
            body: JSON.stringify({
              workspaceId: first.projectId,
              environment: 'staging',
              secretPath: '/',
              secretValue: `value-${i}`,
            }),
          });
          if (res.status === 200) acknowledged.push(key);
        } catch {
          // The connection died with the process: this write was never acknowledged.
        } finally {
          inFlight--;
        }
      }
    };
    // Readers: their audit entries and token uses are the group-committed writes (several
    // requests per transaction); each is told apart by its User-Agent, recorded in its entry.
    const acknowledgedReads: string[] = [];
    const reader = async (worker: number) => {
      for (let i = 0; !killed; i++) {
        const agent = `crash-reader-${worker}-${i}`;
        inFlight++;
        try {
          const res = await fetch(
            `${first.url}/api/v3/secrets/raw?workspaceId=${first.projectId}&environment=staging&secretPath=/`,
            { headers: { authorization: `Bearer ${first.adminToken}`, 'user-agent': agent } },
          );
          await res.arrayBuffer();
          if (res.status === 200) acknowledgedReads.push(agent);
        } catch {
          // Never acknowledged.
        } finally {
          inFlight--;
        }
      }
    };
    const writers = [writer(1), writer(2), writer(3), writer(4), reader(1), reader(2), reader(3), reader(4)];
    while (acknowledged.length < 60 || acknowledgedReads.length < 60)
      await new Promise((r) => setTimeout(r, 5));
    expect(inFlight).toBeGreaterThan(0);
    first.p.child.kill('SIGKILL');
    killed = true;
    await Promise.all(writers);
    await first.p.exited;

    // Every acknowledged read left its audit entry, and the chain still verifies to its sealed head.
    const db = new Database(join(dir, 'kms.db'), { readonly: true });
    const audited = new Set(
      (db.prepare('SELECT user_agent FROM audit_logs').all() as { user_agent: string | null }[]).map(
        (r) => r.user_agent,
      ),
    );
    db.close();
    for (const agent of acknowledgedReads) expect(audited.has(agent), agent).toBe(true);
    const verify = startCli(['audit', 'verify', '--data-dir', dir]);
    expect(await verify.exited, verify.output()).toBe(0);

    const second = await devInstance(dir);
    try {
      const res = await fetch(
        `${second.url}/api/v3/secrets/raw?workspaceId=${second.projectId}&environment=staging&secretPath=/`,
        { headers: { authorization: `Bearer ${second.adminToken}` } },
      );
      const { secrets } = (await res.json()) as { secrets: { secretKey: string; secretValue: string }[] };
      const stored = new Map(secrets.map((s) => [s.secretKey, s.secretValue]));
      for (const key of acknowledged) {
        expect(stored.get(key), key).toBe(`value-${key.split('_')[2]}`);
      }
    } finally {
      second.p.child.kill('SIGTERM');
      await second.p.exited;
    }
    // Two server starts, 120 acknowledged requests and an `audit verify` process: on a loaded
    // machine that takes longer than the default 20 s.
  }, 120_000);
});
