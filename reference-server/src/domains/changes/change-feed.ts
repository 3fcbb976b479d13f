/**
 * The change feed: what changed where, published after a write commits (never values). Each notice
 * is stored first (store/repositories/change-notices.ts), which gives it an id that orders notices
 * across replicas and lets a stream that reconnects resume; then it is handed to this replica's
 * listeners and, through a relay (postgres-relay.ts), to every other replica's. Webhooks
 * (domains/webhooks/) deliver the notices of writes made on this replica; the notice stream
 * (change-stream.ts) hands every notice to the sessions listening.
 */
import type { ChangeListener, ChangeNotice, ChangePlace } from '../../shared/change-notice.js';
import type { Store } from '../../store/store.js';

/** Carries notices between replicas (PostgreSQL LISTEN/NOTIFY); absent on SQLite (one process). */
export interface ChangeRelay {
  /** Sends a stored notice to the other replicas. */
  send(notice: ChangeNotice): Promise<void>;
  /** Starts delivering other replicas' notices to `receive`. */
  start(receive: (notice: ChangeNotice) => void): Promise<void>;
  close(): Promise<void>;
}

/**
 * Fan-out of notices. Publishing never fails a committed write: storage and relay errors go to
 * `onError`, and a listener that throws is reported there too.
 */
export class ChangeFeed {
  private readonly listeners = new Set<ChangeListener>();
  private closed = false;

  constructor(
    private readonly store: Pick<Store, 'changes'>,
    private readonly onError: (error: unknown, what: string) => void = () => {},
    private readonly relay?: ChangeRelay,
  ) {}

  /** Starts receiving other replicas' notices (a no-op without a relay). */
  async start(): Promise<void> {
    await this.relay?.start((notice) => this.fanOut(notice, 'remote'));
  }

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** How many listeners are subscribed (streams count one each). */
  get listenerCount(): number {
    return this.listeners.size;
  }

  /** Stores a notice, then hands it to this replica's listeners and the other replicas. */
  async publish(place: ChangePlace): Promise<void> {
    if (this.closed) return;
    let notice: ChangeNotice;
    try {
      const id = await this.store.changes.append(
        place.projectId,
        place.envId,
        JSON.stringify(place),
        new Date(place.timestamp).toISOString(),
      );
      notice = { ...place, id };
    } catch (error) {
      this.onError(error, 'storing a change notice failed');
      return;
    }
    this.fanOut(notice, 'local');
    await this.relay?.send(notice).catch((error) => this.onError(error, 'relaying a change notice failed'));
  }

  private fanOut(notice: ChangeNotice, origin: 'local' | 'remote') {
    if (this.closed) return;
    for (const listener of [...this.listeners]) {
      try {
        listener.notice(notice, origin);
      } catch (error) {
        this.onError(error, 'a change listener failed');
      }
    }
  }

  /** Tells every listener to stop and closes the relay; later notices are dropped. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const listener of [...this.listeners]) listener.close?.();
    this.listeners.clear();
    await this.relay?.close().catch((error) => this.onError(error, 'closing the change relay failed'));
  }
}

/** A stored notice back in its object form. */
export function parseStoredNotice(stored: { id: number; notice: string }): ChangeNotice {
  return { ...(JSON.parse(stored.notice) as ChangePlace), id: stored.id };
}
