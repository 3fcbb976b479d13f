/**
 * Loading, sharing and refreshing the secrets, independent of the runtime: the Node and edge entries
 * pass their own loader.
 *
 * @module
 */
import { carrier, type LoadedSecrets, redacted } from './carrier.js';
import { KmsNextError } from './errors.js';
import type { KmsNextOptions } from './options.js';
import { isBuildPhase, LOAD_AT_BUILD_MARKER } from './phase.js';

/** @internal A runtime's way to log in and list the secrets. */
export type Loader = (options: KmsNextOptions) => Promise<LoadedSecrets>;

/**
 * @internal Starts the one load of this process (or isolate), or returns the one already started.
 * A failed load is forgotten after it is reported, so a later call may try again.
 */
export function startLoad(
  loader: Loader,
  options: KmsNextOptions,
  startedBy: string,
): Promise<LoadedSecrets> {
  const state = carrier();
  if (state.ready) return state.ready;
  state.options = options as Record<string, unknown>;
  state.startedBy = startedBy;
  state.refreshInterval = options.refreshInterval ?? 0;
  const ready = loader(options).then(
    (loaded) => {
      state.values = redacted({ ...loaded.values });
      state.loadedAt = Date.now();
      state.reload = loaded.reload;
      return loaded;
    },
    (error: unknown) => {
      if (state.ready === ready) state.ready = undefined;
      throw error;
    },
  );
  state.ready = ready;
  return ready;
}

function refreshIfStale(): void {
  const state = carrier();
  const reload = state.reload;
  if (!reload || state.refreshInterval <= 0 || state.refreshing) return;
  if (Date.now() - (state.loadedAt ?? 0) < state.refreshInterval) return;
  state.refreshing = reload()
    .then((values) => {
      state.values = redacted({ ...values });
      state.loadedAt = Date.now();
    })
    .catch((error: unknown) => {
      // Keep serving the last values; the message is one line and value-free.
      const message = error instanceof Error ? error.message : String(error);
      console.warn(`[@hanzo/kms-nextjs] refresh failed, serving the values loaded before: ${message}`);
      state.loadedAt = Date.now();
    })
    .finally(() => {
      state.refreshing = undefined;
    });
}

/** @internal All loaded secrets, loading them first if nothing has yet. */
export async function currentSecrets(
  loader: Loader,
  what: string,
): Promise<Readonly<Record<string, string>>> {
  const state = carrier();
  if (!state.ready && !state.values && isBuildPhase() && process.env[LOAD_AT_BUILD_MARKER] !== '1') {
    throw new KmsNextError(
      `${what} was called while \`next build\` prerenders a page, and secrets read now would be baked into the build output. ` +
        "Make the route dynamic (`await connection()` from 'next/server' before reading, or `export const dynamic = 'force-dynamic'`), " +
        'or opt in with withKms(config, { loadAtBuild: true }).',
    );
  }
  if (!state.values) {
    await (state.ready ??
      startLoad(loader, (state.options as KmsNextOptions | undefined) ?? {}, 'first access'));
  }
  refreshIfStale();
  return state.values!;
}

/** @internal One secret by name; throws naming the key (never a value) when it does not exist. */
export async function currentSecret(loader: Loader, name: string): Promise<string> {
  if (typeof name !== 'string' || name === '')
    throw new KmsNextError('getSecret(name): name must be a non-empty string');
  const values = await currentSecrets(loader, `getSecret(${JSON.stringify(name)})`);
  const value = values[name];
  if (value === undefined) {
    throw new KmsNextError(
      `secret ${name} does not exist in the loaded secrets (${Object.keys(values).length} keys loaded)`,
      {
        key: name,
      },
    );
  }
  return value;
}

/** @internal `kms.ready()`: resolves once the secrets are loaded, starting the load if needed. */
export async function whenReady(loader: Loader): Promise<void> {
  const state = carrier();
  if (isBuildPhase() && process.env[LOAD_AT_BUILD_MARKER] !== '1') return;
  await (state.ready ??
    startLoad(loader, (state.options as KmsNextOptions | undefined) ?? {}, 'kms.ready()'));
}

/** Handle on the shared state, for code that must wait for the secrets or check they are there. */
export interface KmsHandle {
  /**
   * Resolves once the secrets are loaded in this process (or edge isolate), starting the load if neither
   * `withKms` nor `registerKms` did. Resolves at once during `next build` (nothing is loaded there).
   */
  ready(): Promise<void>;
  /** Whether secrets are loaded in this process (or edge isolate). */
  readonly loaded: boolean;
}

/** @internal */
export function createHandle(loader: Loader): KmsHandle {
  return {
    ready: () => whenReady(loader),
    get loaded() {
      return carrier().values !== undefined;
    },
  };
}
