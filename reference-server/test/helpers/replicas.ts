import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inject } from 'vitest';
import { createDatabase } from './postgres.js';

/**
 * `KMS_TEST_DATABASE=postgres` runs the server suites on PostgreSQL, each test server as two
 * replicas on one database behind {@link roundRobin}: consecutive requests of one test land on
 * different replicas, so anything kept in one process's memory instead of the database shows.
 */
export const onPostgres = process.env.KMS_TEST_DATABASE === 'postgres';

/** A new empty database on the run's PostgreSQL server (see test/global-postgres.ts). */
export function newTestDatabaseUrl(): Promise<string> {
  return createDatabase(inject('postgresAdminUrl'));
}

/**
 * A minimal load balancer: each request goes to the next upstream in turn; an upstream that
 * refuses the connection, or drops it before answering a GET, is skipped for that request (what
 * nginx's `proxy_next_upstream error` does), so a killed replica costs no read.
 */
export async function roundRobin(upstreams: string[]): Promise<{ url: string; close(): Promise<void> }> {
  const agent = new Agent({ keepAlive: true });
  let next = 0;
  const proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const first = next++;
      const attempt = (tried: number) => {
        if (tried === upstreams.length) {
          res.writeHead(502).end();
          return;
        }
        const target = new URL(req.url ?? '/', upstreams[(first + tried) % upstreams.length]);
        const upstream = request(target, { method: req.method, headers: req.headers, agent }, (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        });
        upstream.on('error', (error: NodeJS.ErrnoException) => {
          // As nginx: a refused connection is retried elsewhere; after a request was sent, only an
          // idempotent one is (a write might have been applied before the connection dropped).
          if (res.destroyed) return;
          const retry = error.code === 'ECONNREFUSED' || req.method === 'GET' || req.method === 'HEAD';
          if (!res.headersSent && retry) attempt(tried + 1);
          else if (!res.headersSent) res.writeHead(502).end();
          else res.destroy();
        });
        // As nginx: a client that goes away mid-answer (a closed stream) closes the upstream request.
        res.on('close', () => {
          if (!res.writableFinished) upstream.destroy();
        });
        upstream.end(body);
      };
      attempt(0);
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        proxy.close(() => resolve());
        proxy.closeAllConnections();
      }),
  };
}
