/**
 * The one secrets session of this server process (or edge isolate), shared by every bundle Next makes.
 * Next compiles next.config, instrumentation, route handlers and server components separately, and may
 * load this package once as CommonJS and once as ESM; so the state lives on `globalThis` under a
 * registered symbol, the one place every copy of this module finds.
 *
 * @module
 */
import type { SecretsSession } from '@hanzo/kms-node/env';
import { KmsNextError } from './errors.js';
import type { KmsNextOptions } from './options.js';
import { isSecretFreeBuild } from './phase.js';

/** @internal How a runtime opens the session: Node (files, `node:http`, `process.env`) or edge. */
export interface Runtime {
  open(options: KmsNextOptions): SecretsSession;
  /** Log one line when loaded (the Node server's console; edge isolates stay quiet). */
  announce: boolean;
}

/** @internal The shared state. Never enumerable on `globalThis`, never printed. */
export interface KmsNextState {
  /** The first load (or the one in flight); forgotten when it fails, so a later call may try again. */
  ready?: Promise<void>;
  /** The loaded session. */
  session?: SecretsSession;
  /** Options given to `withKms` / `registerKms`, used by a load started on first access. */
  options?: KmsNextOptions;
}

const KEY = Symbol.for('hanzo.kms.nextjs.v1');

/** @internal Returns the shared state, creating it on first use. */
export function carrier(): KmsNextState {
  const g = globalThis as unknown as Record<symbol, KmsNextState | undefined>;
  if (!g[KEY]) Object.defineProperty(globalThis, KEY, { value: {}, enumerable: false, configurable: true });
  return g[KEY]!;
}

/** @internal Forgets everything (tests). */
export function resetCarrier(): void {
  const session = carrier().session;
  delete (globalThis as unknown as Record<symbol, unknown>)[KEY];
  void session?.close();
}

/** @internal Starts the one load of this process (or isolate), or returns the one already started. */
export function startLoad(runtime: Runtime, options: KmsNextOptions, startedBy: string): Promise<void> {
  const state = carrier();
  if (state.ready) return state.ready;
  state.options = options;
  const ready = (async () => {
    const session = runtime.open(options);
    const { merge } = await session.load();
    const kept = merge?.skipped.length ? `, kept from the environment: ${merge.skipped.join(', ')}` : '';
    const count = Object.keys(session.secrets).length;
    if (runtime.announce)
      console.log(`[@hanzo/kms-nextjs] loaded ${count} secrets (${session.where}) at ${startedBy}${kept}`);
    state.session = session;
    session.start();
  })().catch((error: unknown) => {
    if (state.ready === ready) state.ready = undefined;
    if (error instanceof KmsNextError) throw error;
    const message = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    throw printedAsOneLine(
      new KmsNextError(`could not load secrets at ${startedBy}: ${message}`, { cause: error }),
    );
  });
  state.ready = ready;
  return ready;
}

/**
 * Next prints a next.config failure with `util.inspect`: the stack of every nested cause (~35 lines)
 * after `✓ Ready`. A failed load prints its message only, the one line docs/nextjs.md promises; `cause`
 * still holds the `KmsBootError` for code that catches it. `Symbol.for` keeps this module edge-safe.
 */
function printedAsOneLine(error: KmsNextError): KmsNextError {
  Object.defineProperty(error, Symbol.for('nodejs.util.inspect.custom'), { value: () => error.message });
  return error;
}

/** @internal All loaded secrets, loading them first if nothing has yet. */
export async function currentSecrets(
  runtime: Runtime,
  what: string,
): Promise<Readonly<Record<string, string>>> {
  const state = carrier();
  if (!state.ready && isSecretFreeBuild()) {
    throw new KmsNextError(
      `${what} was called while \`next build\` prerenders a page, and secrets read now would be baked into the build output. ` +
        "Make the route dynamic (`await connection()` from 'next/server' before reading, or `export const dynamic = 'force-dynamic'`), " +
        'or opt in with withKms(config, { loadAtBuild: true }).',
    );
  }
  await (state.ready ?? startLoad(runtime, state.options ?? {}, 'first access'));
  return state.session!.secrets;
}

/** @internal One secret by name; throws naming the key (never a value) when it does not exist. */
export async function currentSecret(runtime: Runtime, name: string): Promise<string> {
  if (typeof name !== 'string' || name === '')
    throw new KmsNextError('getSecret(name): name must be a non-empty string');
  const values = await currentSecrets(runtime, `getSecret(${JSON.stringify(name)})`);
  const value = values[name];
  if (value === undefined) {
    throw new KmsNextError(
      `secret ${name} does not exist in the loaded secrets (${Object.keys(values).length} keys loaded)`,
      { key: name },
    );
  }
  return value;
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
export function createHandle(runtime: Runtime): KmsHandle {
  return {
    ready: async () => {
      const state = carrier();
      if (isSecretFreeBuild()) return;
      await (state.ready ?? startLoad(runtime, state.options ?? {}, 'kms.ready()'));
    },
    get loaded() {
      return carrier().session !== undefined;
    },
  };
}
