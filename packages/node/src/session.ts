/**
 * The secrets session: the one flow every user of `@hanzo/kms-node` shares. It owns resolving the
 * configuration, the client, the boot deadline, loading, validation against a schema, the merge into
 * an environment, refresh (one timer, single-flight, ETag revalidation), change events, status and
 * close. `loadSecrets`, `watchSecrets`, `kms run`, `KmsModule` and `withKms` are thin users of it.
 *
 * Runtime-neutral: no `node:` import. The caller passes a {@link SessionPlatform} (Node: credential
 * files and `node:http`; edge: neither), which is how the main entry and `@hanzo/kms-node/env` each
 * offer `createSecretsSession`.
 *
 * @module
 */
import { type ChangeSubscription, type EnvMergeReport, type KmsClient, mergeIntoEnv } from '@hanzo/kms';
import { KmsBootError, toBootError } from './boot-error.js';
import { applyToEnv, diffSecrets, type SecretsChange } from './changes.js';
import { bootTarget, type ClientPlatform, closeWithin, createClient, listValues } from './client-setup.js';
import type { KmsNodeOptions, ResolvedKmsConfig } from './env.js';
import { findOptionProblem } from './options.js';
import type { OptionRule } from './settings.js';
import { locationLabel, projectLabel } from './location.js';
import { sealedRecord } from './redacted-record.js';
import type { StandardSchemaV1 } from './standard-schema.js';
import { validateSecrets } from './validate-secrets.js';

/** How a runtime resolves configuration, logs in and talks HTTP. */
export interface SessionPlatform extends ClientPlatform {
  /**
   * Resolves options + `KMS_*` variables (+ credential files where there is a filesystem). The session
   * has checked the options (once, with its own rules added): this does not check them again.
   */
  resolveConfig(options: KmsNodeOptions): ResolvedKmsConfig;
}

/** Options of `createSecretsSession`: where to read (every {@link KmsNodeOptions}) and what to do with it. */
export interface SecretsSessionOptions<S extends StandardSchemaV1 | undefined = undefined>
  extends KmsNodeOptions {
  /**
   * A Standard Schema (zod 4, valibot, arktype…) the secrets must satisfy, at load and on every
   * refresh; `values` is its output. A failure names the keys, never the values.
   */
  schema?: S;
  /**
   * Re-read the folder every `refreshInterval` milliseconds once `start()` is called,
   * in the background (an unref'd timer, never two reads at once; an unchanged folder costs a 304).
   * The same meaning in every package of the family. @default 0 (never)
   */
  refreshInterval?: number;
  /**
   * With `refreshInterval` set, also subscribe to the server's change-notice stream once `start()` is
   * called: a change is re-read (with `If-None-Match`) the moment the server announces it, and the
   * interval poll only runs while the stream is down. Where the runtime has no streaming `fetch`, or
   * the server does not offer the stream, the session polls as before. See docs/change-delivery.md.
   * @default true
   */
  push?: boolean;
  /**
   * Write the secrets into `process.env` (`true`) or this object: merged at load under `envMerge`
   * (unset and empty variables are filled; see `mergeIntoEnv` of `@hanzo/kms`), and on each change a
   * variable is updated or deleted only while it still holds the value KMS gave it. @default false
   */
  writeEnv?: boolean | Record<string, string | undefined>;
  /** Who is loading, e.g. `KmsModule`: every error's `source` and the start of its message. */
  source?: string;
  /** Called with each change a refresh finds (after the session switched to the new values). */
  onChange?: (change: SecretsChange) => void | Promise<void>;
  /**
   * Called when a background refresh fails or an `onChange` throws; the session keeps its values and
   * goes on. Called once per kind of failure in a row, not once per poll.
   */
  onRefreshError?: (error: KmsBootError) => void;
}

/** `process.env` for `writeEnv: true`; a runtime without one gets a config error, not a crash. */
function processEnv(source: string | undefined): Record<string, string | undefined> {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  if (env) return env;
  throw new KmsBootError(
    'config',
    'option writeEnv is true, but this runtime has no process.env; pass the object to write into',
    source ? { source } : {},
  );
}

/** @internal The rules of the options a session adds to {@link KmsNodeOptions}, for `findOptionProblem`. */
export const sessionOptionRules: Readonly<Record<string, OptionRule>> = Object.freeze({
  schema: 'schema',
  refreshInterval: 'interval',
  push: 'boolean',
  writeEnv: 'writeEnv',
  source: 'string',
  onChange: 'function',
  onRefreshError: 'function',
});

/** Freshness and state of a session, without values: what health checks report. */
export interface SecretsSessionStatus {
  /** `up` once loaded and while the last load or refresh succeeded. */
  status: 'up' | 'down';
  /** Project slug or id. */
  project: string;
  /** Environment slug. */
  environment: string;
  /** Folder path. */
  secretPath: string;
  /** Number of secrets held. */
  secrets: number;
  /** When the secrets were last read successfully (ISO 8601); the session's creation before that. */
  lastRefreshedAt: string;
  /** Milliseconds since then. */
  ageMs: number;
  /** Refresh interval in milliseconds (0: no background refresh). */
  refreshInterval: number;
  /**
   * The change-notice stream: `connected` (changes arrive as they happen; polling paused),
   * `connecting`/`disconnected` (polling meanwhile), `unsupported` (polling only), `off` (not used).
   */
  push: 'connected' | 'connecting' | 'disconnected' | 'unsupported' | 'off';
  /** One-line message of the last failure, while the last attempt failed. */
  lastError?: string;
  /** `true` once the session is closed. */
  closed: boolean;
}

/** The session's view of a subscription state (a closed one is `off`). */
function pushState(state: ChangeSubscription['state']): SecretsSessionStatus['push'] {
  return state === 'closed' ? 'off' : state;
}

/** What {@link SecretsSession.load} did. */
export interface SessionLoad {
  /** The merge into the environment, when the session writes one. Key names only. */
  merge: EnvMergeReport | undefined;
}

/** The output type of a session's schema, or a record of strings without one. */
export type SessionValues<S> = S extends StandardSchemaV1
  ? StandardSchemaV1.InferOutput<S>
  : Record<string, string>;

/**
 * A loaded set of secrets that stays fresh. Create it with `createSecretsSession(options)`, `load()`
 * it, read {@link SecretsSession.values}, `start()` the background refresh if you want one, `close()` it
 * on shutdown. Printing it shows where it reads from, never a value or a credential.
 */
export class SecretsSession<S extends StandardSchemaV1 | undefined = undefined> {
  /** The resolved configuration (prints without credentials). */
  readonly config: ResolvedKmsConfig;
  /** The logged-in client: its token renews itself until {@link SecretsSession.close}. */
  readonly client: KmsClient;
  /** `project <p>, environment <e>, path <path>`: how messages name this folder. */
  readonly where: string;

  readonly #options: SecretsSessionOptions<S>;
  readonly #env: Record<string, string | undefined> | undefined;
  readonly #refreshInterval: number;
  readonly #listeners = new Set<(change: SecretsChange) => void | Promise<void>>();
  #secrets: Readonly<Record<string, string>> | undefined;
  #values: Readonly<SessionValues<S>> | undefined;
  #refreshedAt = Date.now();
  #lastError: KmsBootError | undefined;
  #reportedReason: string | undefined;
  #loading: Promise<SessionLoad> | undefined;
  #refreshing: Promise<SecretsChange | undefined> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closing: Promise<void> | undefined;
  #subscription: ChangeSubscription | undefined;
  /** A notice arrived while a read was in flight: read once more after it. */
  #readAgain = false;

  /** Use `createSecretsSession` (it picks the platform). Throws a `config` {@link KmsBootError} on bad options. */
  constructor(options: SecretsSessionOptions<S>, platform: SessionPlatform) {
    const {
      schema,
      refreshInterval = 0,
      push: _push,
      writeEnv = false,
      source,
      onChange,
      onRefreshError,
      ...node
    } = options;
    const problem = findOptionProblem(options, source ?? '@hanzo/kms-node', sessionOptionRules);
    if (problem) {
      throw new KmsBootError('config', `option ${problem.field} ${problem.problem}`, {
        ...(source ? { source } : {}),
      });
    }
    this.#options = options;
    this.#refreshInterval = refreshInterval;
    this.#env = writeEnv === true ? processEnv(source) : writeEnv === false ? undefined : writeEnv;
    try {
      this.config = platform.resolveConfig(node);
      // With a background refresh every poll is a conditional request: a 304 costs no decryption.
      this.client = createClient(this.config, platform, { revalidate: refreshInterval > 0 });
    } catch (error) {
      throw new KmsBootError('config', error instanceof Error ? error.message : String(error), {
        cause: error,
        ...(source ? { source } : {}),
      });
    }
    this.where = locationLabel(this.config);
    if (onChange) this.#listeners.add(onChange);
  }

  /** Whether secrets are held (loaded, adopted or recorded by a first refresh). */
  get loaded(): boolean {
    return this.#secrets !== undefined;
  }

  /** The secrets as strings by key: frozen, `[REDACTED]` in logs and `JSON.stringify`. Throws before a load. */
  get secrets(): Readonly<Record<string, string>> {
    return this.#secrets ?? this.#notLoaded();
  }

  /** The schema's output (or {@link SecretsSession.secrets} without one): frozen and redacted the same way. */
  get values(): Readonly<SessionValues<S>> {
    return this.#values ?? this.#notLoaded();
  }

  #notLoaded(): never {
    throw new KmsBootError(
      'config',
      `secrets read before they were loaded (${this.where})`,
      this.#sourceOption(),
    );
  }

  /**
   * Logs in, lists the folder within `bootTimeout`, validates with the schema and (with `writeEnv`)
   * merges into the environment under `envMerge`, all or nothing. Rejects with a one-line
   * {@link KmsBootError}. Concurrent and repeated calls share the one load; a session whose load failed
   * is closed (create a new one to try again).
   */
  load(): Promise<SessionLoad> {
    this.#loading ??= this.#load().catch(async (error: unknown) => {
      await this.close(2000);
      throw error;
    });
    return this.#loading;
  }

  async #load(): Promise<SessionLoad> {
    if (this.#closing) throw new KmsBootError('config', 'load() after close()', this.#sourceOption());
    const raw = await this.#read();
    const values = await this.#validate(raw);
    const env = this.#env;
    const merge = env ? await this.#guard(() => mergeIntoEnv(env, raw, this.config.envMerge)) : undefined;
    this.#accept(raw, values);
    return { merge };
  }

  /**
   * Starts with secrets the app already has (e.g. what the boot put into `process.env`) instead of
   * loading them: the next refresh reports what changed since. Validated like a load.
   */
  async adopt(secrets: Readonly<Record<string, string>>): Promise<void> {
    const raw = { ...secrets };
    this.#accept(raw, await this.#validate(raw));
  }

  /**
   * Reads the folder again now. When something changed (and the new set passes the schema) the session
   * switches to the new values, applies the change to the environment (with `writeEnv`), tells the
   * `onChange` listeners and resolves to the change; resolves to `undefined` when nothing changed, and
   * on a first read (before any load), which only records the secrets. On failure the previous values
   * stay and it rejects with a one-line {@link KmsBootError}. Concurrent calls share one request.
   */
  refresh(): Promise<SecretsChange | undefined> {
    if (this.#closing)
      return Promise.reject(
        new KmsBootError('config', 'refresh() after shutdown (close() was called)', this.#sourceOption()),
      );
    this.#refreshing ??= this.#refresh().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #refresh(): Promise<SecretsChange | undefined> {
    let raw: Record<string, string>;
    let values: SessionValues<S>;
    try {
      raw = await this.#read();
      values = await this.#validate(raw);
    } catch (error) {
      this.#lastError = error as KmsBootError;
      throw error;
    }
    const before = this.#secrets;
    this.#accept(raw, values);
    if (!before || this.#closing) return undefined;
    const change = diffSecrets(before, raw);
    if (!change) return undefined;
    if (this.#env) applyToEnv(this.#env, before, change);
    for (const listener of this.#listeners) {
      try {
        await listener(change);
      } catch (error) {
        const name = error instanceof Error ? error.name : typeof error;
        this.#report(
          new KmsBootError('invalid-secrets', `onChange threw ${name}`, {
            cause: error,
            ...this.#sourceOption(),
          }),
        );
      }
    }
    return change;
  }

  /** Adds a change listener; returns the function that removes it. */
  onChange(listener: (change: SecretsChange) => void | Promise<void>): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Starts the background refresh when `refreshInterval` is set (idempotent): the first read after
   * `firstDelay` ms (default: one interval), then every interval after the previous read ended.
   */
  start(firstDelay = this.#refreshInterval): void {
    if (this.#refreshInterval <= 0 || this.#timer || this.#closing) return;
    this.#schedule(firstDelay);
    if (this.#options.push !== false) this.#subscribe();
  }

  /** Stops the background refresh and the change stream (`start()` resumes them). The session stays usable. */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#subscription?.close();
    this.#subscription = undefined;
  }

  /** Opens the change-notice stream; each notice (and each reconnect, which may have missed some) re-reads. */
  #subscribe(): void {
    const { projectId, projectSlug } = this.config;
    try {
      this.#subscription = this.client.changes.subscribe(
        {
          ...(projectId ? { projectId } : { projectSlug: projectSlug as string }),
          // Imports may come from other environments: then every change of the project counts.
          ...(this.config.includeImports ? {} : { environment: this.config.environment }),
        },
        {
          onNotice: () => this.#refreshSoon(),
          onReset: () => this.#refreshSoon(),
          onState: (state) => {
            if (state === 'connected') this.#refreshSoon();
          },
        },
      );
    } catch {
      // Options the stream refuses leave the session polling.
      this.#subscription = undefined;
    }
  }

  /** Re-reads now, or once more right after the read in flight (which may predate the change). */
  #refreshSoon(): void {
    if (this.#closing) return;
    if (this.#refreshing) {
      this.#readAgain = true;
      return;
    }
    this.refresh()
      .then(() => {
        this.#reportedReason = undefined;
      })
      .catch((error: unknown) => this.#report(error as KmsBootError))
      .finally(() => {
        if (!this.#readAgain) return;
        this.#readAgain = false;
        this.#refreshSoon();
      });
  }

  #schedule(delay: number): void {
    this.#timer = setTimeout(() => {
      // While the change stream is live, changes arrive through it: the poll is only the fallback.
      if (this.#subscription?.state === 'connected') {
        if (!this.#closing && this.#timer) this.#schedule(this.#refreshInterval);
        return;
      }
      this.refresh()
        .then(() => {
          this.#reportedReason = undefined;
        })
        .catch((error: unknown) => this.#report(error as KmsBootError))
        .finally(() => {
          if (!this.#closing && this.#timer) this.#schedule(this.#refreshInterval);
        });
    }, delay);
    // A refresh must never keep the process alive on its own.
    (this.#timer as { unref?: () => void }).unref?.();
  }

  /** Session and freshness, without values. */
  status(): SecretsSessionStatus {
    return {
      status: this.#lastError || this.#closing || !this.#secrets ? 'down' : 'up',
      project: projectLabel(this.config),
      environment: this.config.environment,
      secretPath: this.config.secretPath,
      secrets: this.#secrets ? Object.keys(this.#secrets).length : 0,
      lastRefreshedAt: new Date(this.#refreshedAt).toISOString(),
      ageMs: Date.now() - this.#refreshedAt,
      refreshInterval: this.#refreshInterval,
      push: this.#subscription ? pushState(this.#subscription.state) : 'off',
      ...(this.#lastError ? { lastError: this.#lastError.message } : {}),
      closed: this.#closing !== undefined,
    };
  }

  /**
   * Stops the refresh, waits for a read in flight, stops the client's renewal timers and revokes its
   * token, waiting at most `timeoutMs` for the revocation. Idempotent.
   */
  close(timeoutMs = 2000): Promise<void> {
    this.#closing ??= (async () => {
      this.stop();
      await this.#refreshing?.catch(() => undefined);
      await closeWithin(this.client, timeoutMs);
    })();
    return this.#closing;
  }

  /** A value-free description (also what `JSON.stringify` prints). */
  toJSON(): Record<string, unknown> {
    return {
      project: projectLabel(this.config),
      environment: this.config.environment,
      secretPath: this.config.secretPath,
      keys: this.#secrets ? Object.keys(this.#secrets).sort() : [],
    };
  }

  /** `util.inspect` / `console.log` show {@link SecretsSession.toJSON}. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `${this.#options.source ?? 'SecretsSession'} ${JSON.stringify(this.toJSON())}`;
  }

  #sourceOption(): { source?: string } {
    return this.#options.source ? { source: this.#options.source } : {};
  }

  /** One list within the boot timeout (the client's deadline, see createClient). */
  #read(): Promise<Record<string, string>> {
    return this.#guard(() => listValues(this.client, this.config));
  }

  #validate(raw: Record<string, string>): Promise<SessionValues<S>> {
    return this.#guard(() => validateSecrets(this.#options.schema, raw, this.where)) as Promise<
      SessionValues<S>
    >;
  }

  /** Runs `work`; a failure becomes a one-line {@link KmsBootError} with the session's source. */
  async #guard<T>(work: () => T | Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw toBootError(error, bootTarget(this.config), this.#options.source);
    }
  }

  #accept(raw: Record<string, string>, values: SessionValues<S>): void {
    this.#secrets = sealedRecord(raw);
    this.#values = (
      this.#options.schema ? sealedRecord(values as Record<string, unknown>) : this.#secrets
    ) as Readonly<SessionValues<S>>;
    this.#refreshedAt = Date.now();
    this.#lastError = undefined;
  }

  #report(error: KmsBootError): void {
    this.#lastError = error;
    if (error.reason === this.#reportedReason) return;
    this.#reportedReason = error.reason;
    this.#options.onRefreshError?.(error);
  }
}
