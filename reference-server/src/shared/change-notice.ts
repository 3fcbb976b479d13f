/**
 * What a change notice says (where a committed write happened, never a value) and who listens to
 * them: the types the change feed (domains/changes/change-feed.ts), its listeners and the server
 * context share. Types only; nothing here publishes or stores.
 */

/** Where a committed change happened. */
export interface ChangePlace {
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
}

/** One committed change to the secrets of a folder, with its place in the feed. */
export interface ChangeNotice extends ChangePlace {
  /** Increases with every notice, across replicas; a stream resumes after it. */
  id: number;
}

/** Someone interested in notices. `origin` says whether this replica made the write. */
export interface ChangeListener {
  notice(notice: ChangeNotice, origin: 'local' | 'remote'): void;
  /** The feed is closing (server shutdown): stop, abort in-flight work. */
  close?(): void;
}
