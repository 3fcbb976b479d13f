/**
 * Change notices between replicas on PostgreSQL: each replica LISTENs on one channel over a
 * dedicated connection and NOTIFYs it after storing a notice. A notification carries the notice
 * itself (a few hundred bytes, under PostgreSQL's 8000-byte limit) and the sending replica's id, so a
 * replica skips its own. A lost connection is re-established with backoff; notices sent meanwhile
 * reach streams through their resume (change-stream.ts reads the stored notices after the last id).
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Logger } from 'pino';
import type { ChangeNotice } from '../../shared/change-notice.js';
import type { ChangeRelay } from './change-feed.js';

/** The channel every replica listens on. */
export const CHANGE_CHANNEL = 'kms_change_notices';

/** How to reach the database. */
export interface PostgresRelayOptions {
  url: string;
  logger: Logger;
}

export class PostgresChangeRelay implements ChangeRelay {
  private readonly replicaId = randomUUID();
  private client?: pg.Client;
  private receive?: (notice: ChangeNotice) => void;
  private closed = false;
  private retryTimer?: NodeJS.Timeout;
  private retryMs = 250;

  constructor(private readonly options: PostgresRelayOptions) {}

  async start(receive: (notice: ChangeNotice) => void): Promise<void> {
    this.receive = receive;
    await this.connect();
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.options.url });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client));
    client.on('notification', (message) => {
      if (message.channel !== CHANGE_CHANNEL || !message.payload) return;
      try {
        const { from, notice } = JSON.parse(message.payload) as { from: string; notice: ChangeNotice };
        if (from !== this.replicaId) this.receive?.(notice);
      } catch {
        // Not one of ours: ignored.
      }
    });
    await client.connect();
    await client.query(`LISTEN ${CHANGE_CHANNEL}`);
    this.client = client;
    this.retryMs = 250;
  }

  private lost(client: pg.Client, error?: Error) {
    if (this.client !== client || this.closed) return;
    this.client = undefined;
    client.removeAllListeners('end');
    client.end().catch(() => {});
    this.options.logger.warn(
      { err: error ? { message: error.message } : undefined },
      'the change-notice connection to PostgreSQL was lost; reconnecting',
    );
    this.scheduleReconnect();
  }

  private scheduleReconnect() {
    if (this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.connect().catch(() => {
        this.retryMs = Math.min(this.retryMs * 2, 10_000);
        this.scheduleReconnect();
      });
    }, this.retryMs);
    this.retryTimer.unref();
  }

  async send(notice: ChangeNotice): Promise<void> {
    if (!this.client) throw new Error('the change-notice connection to PostgreSQL is down');
    await this.client.query('SELECT pg_notify($1, $2)', [
      CHANGE_CHANNEL,
      JSON.stringify({ from: this.replicaId, notice }),
    ]);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end();
  }
}
