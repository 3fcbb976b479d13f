// The SDK rides out a server restart and a database outage with its default options: readers and
// logins keep succeeding across a 5 s restart of the reference server (SQLite file, same port) and a
// 5 s PostgreSQL outage (connections refused, the server answering 503 with Retry-After). Real server,
// real PostgreSQL (reference-server/tools/embedded-postgres.mjs), real HTTP on loopback.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KmsClient } from '../src/index.js';
import { loadStartServer, type Provisioned, ReferenceServer } from './reference-server.js';

const startServer = await loadStartServer();
const OUTAGE_MS = 5_000;
const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

/** Counts of what the traffic did. */
interface Tally {
  reads: number;
  logins: number;
  failures: string[];
  /** Calls of clients made during the outage, refused fast by design before they ever reached the server. */
  failedFastBeforeReaching: number;
}

/**
 * Four readers with default client options, each listing secrets in a loop; every tenth read a new
 * client (so a login) is used. Runs until `stop()`; failures are recorded, never thrown.
 */
function traffic(p: Provisioned) {
  const tally: Tally = { reads: 0, logins: 0, failures: [], failedFastBeforeReaching: 0 };
  let stopped = false;
  const reader = async () => {
    while (!stopped) {
      const kms = new KmsClient({
        siteUrl: p.url,
        auth: { universalAuth: { clientId: p.clientId, clientSecret: p.clientSecret } },
      });
      tally.logins++;
      // A client made while the server is down has never reached it, so by design it fails fast
      // (src/retry-policy.ts, docs/token-lifecycle.md): only a client that has reached the server rides out.
      let reached = false;
      for (let i = 0; i < 10 && !stopped; i++) {
        try {
          const { secrets } = await kms.secrets.list({
            projectId: p.projectId,
            environment: 'dev',
            secretPath: '/app',
          });
          if (secrets.length !== 3) tally.failures.push(`read ${secrets.length} secrets`);
          tally.reads++;
          reached = true;
        } catch (error) {
          if (!reached && (error as Error).name === 'KmsConnectionError') {
            tally.failedFastBeforeReaching++;
            continue;
          }
          tally.failures.push(`${(error as Error).name}: ${(error as Error).message}`);
        }
      }
      await kms.close().catch(() => undefined);
    }
  };
  const readers = Array.from({ length: 4 }, reader);
  return {
    tally,
    async stop() {
      stopped = true;
      await Promise.all(readers);
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('riding out an outage with the default options', () => {
  it('0 failed reads or logins across a 5 s restart of the server', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'kms-sdk-restart-'));
    const rootEncryptionKey = randomBytes(32).toString('base64');
    const first = await ReferenceServer.start(startServer, false, undefined, { dataDir, rootEncryptionKey });
    const env = await first.provision({ role: 'viewer' });
    const load = traffic(env);
    await sleep(1_000);
    await first.close();
    const before = load.tally.reads;
    await sleep(OUTAGE_MS);
    const port = Number(new URL(env.url).port);
    const second = await startServer({ port, dataDir, rootEncryptionKey, rateLimit: false, logger: false });
    closers.push(() => second.close());
    await sleep(1_500);
    await load.stop();
    console.log(
      `restart: ${load.tally.reads} reads (${load.tally.reads - before} after the stop), ${load.tally.logins} logins, ${load.tally.failures.length} failed`,
    );
    expect(load.tally.failures).toEqual([]);
    expect(load.tally.reads).toBeGreaterThan(before);
  }, 60_000);

  it('0 failed reads or logins across a 5 s PostgreSQL outage', async () => {
    const serverDir = new URL('../../../reference-server/', import.meta.url);
    const { startEmbeddedPostgres } = (await import(
      new URL('tools/embedded-postgres.mjs', serverDir).href
    )) as typeof import('../../../reference-server/tools/embedded-postgres.mjs');
    // The server's own driver, loaded from its folder: the SDK does not depend on pg.
    const pg = createRequire(new URL('package.json', serverDir))('pg') as {
      Client: new (config: {
        connectionString: string;
      }) => {
        connect(): Promise<void>;
        query(sql: string): Promise<unknown>;
        end(): Promise<void>;
      };
    };
    const postgres = await startEmbeddedPostgres();
    closers.push(() => postgres.stop());
    const databaseUrl = await postgres.createDatabase();
    const name = new URL(databaseUrl).pathname.slice(1);
    const admin = async (sql: string) => {
      const client = new pg.Client({ connectionString: postgres.adminUrl });
      await client.connect();
      try {
        await client.query(sql);
      } finally {
        await client.end();
      }
    };
    const server = await ReferenceServer.start(startServer, false, undefined, { databaseUrl });
    closers.push(() => server.close());
    const env = await server.provision({ role: 'viewer' });
    const load = traffic(env);
    await sleep(1_000);
    await admin(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS false`);
    await admin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}'`);
    const before = load.tally.reads;
    await sleep(OUTAGE_MS);
    await admin(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS true`);
    await sleep(1_500);
    await load.stop();
    console.log(
      `database outage: ${load.tally.reads} reads (${load.tally.reads - before} after it began), ${load.tally.logins} logins, ${load.tally.failures.length} failed`,
    );
    expect(load.tally.failures).toEqual([]);
    expect(load.tally.reads).toBeGreaterThan(before);
  }, 90_000);
});
