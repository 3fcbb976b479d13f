/**
 * The change feed: what changed where, published after a write commits (never values). Webhooks
 * (domains/webhooks/) deliver the notices of writes made on this replica; the notice stream
 * (change-stream.ts) hands every notice, from this replica or another, to the sessions listening.
 */

/** One committed change to the secrets of a folder. */
export interface ChangeNotice {
  projectId: string;
  projectName: string;
  envId: string;
  /** The environment's slug. */
  environment: string;
  environmentName: string;
  /** The folder whose secrets changed (`/` for the root). */
  secretPath: string;
  /** Milliseconds since the epoch, when the write committed. */
  timestamp: number;
  /** Who wrote (an identity's id and name), for webhook payloads; never a credential. */
  changedBy: { id: string; name: string };
}

/** Someone interested in notices. `origin` says whether this replica made the write. */
export interface ChangeListener {
  notice(notice: ChangeNotice, origin: 'local' | 'remote'): void;
  /** The feed is closing (server shutdown): stop, abort in-flight work. */
  close?(): void;
}

/**
 * In-process fan-out of notices. A listener that throws is logged by the caller's `onError` and
 * never reaches the writer: publishing is synchronous and cannot fail a committed write.
 */
export class ChangeFeed {
  private readonly listeners = new Set<ChangeListener>();
  private closed = false;

  constructor(private readonly onError: (error: unknown) => void = () => {}) {}

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Hands a notice to every listener. */
  publish(notice: ChangeNotice, origin: 'local' | 'remote' = 'local'): void {
    if (this.closed) return;
    for (const listener of [...this.listeners]) {
      try {
        listener.notice(notice, origin);
      } catch (error) {
        this.onError(error);
      }
    }
  }

  /** Tells every listener to stop; later notices are dropped. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const listener of [...this.listeners]) listener.close?.();
    this.listeners.clear();
  }
}
