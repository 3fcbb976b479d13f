/**
 * `KmsService`: the loaded secrets, their refresh and the session's lifecycle inside a Nest app.
 *
 * @module
 */
import { type KmsClient, KmsError } from '@hanzo/kms';
import {
  createClient,
  diffSecrets,
  KmsBootError,
  listValues,
  mergeIntoEnv,
  projectLabel,
  redactedRecord,
  type ResolvedKmsConfig,
  resolveConfig,
  type SecretsChange,
  type StandardSchemaV1,
  validateSecrets,
  withBootDeadline,
} from '@hanzo/kms-node';
import { closeWithin } from '@hanzo/kms-node/internal';
import type { OnApplicationBootstrap, OnApplicationShutdown, OnModuleDestroy } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import { type Observable, Subject } from 'rxjs';
import { type KmsModuleOptions, splitOptions } from './options.js';

const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

/** What {@link KmsService.status} reports: freshness and session state, never values. */
export interface KmsStatus {
  /** `up` while the last load or refresh succeeded. */
  status: 'up' | 'down';
  /** Project slug or id. */
  project: string;
  /** Environment slug. */
  environment: string;
  /** Folder path. */
  secretPath: string;
  /** Number of secrets held. */
  secrets: number;
  /** When the secrets were last read successfully (ISO 8601). */
  lastRefreshedAt: string;
  /** Milliseconds since then. */
  ageMs: number;
  /** Poll interval in milliseconds (0: no polling). */
  refreshInterval: number;
  /** One-line message of the last failed refresh, if the last attempt failed. */
  lastError?: string;
  /** `true` once the service has been closed (application shutdown). */
  closed: boolean;
}

/** Re-labels a boot error so that its one line says it came from the Nest module. */
function fromModule(error: unknown): KmsBootError {
  if (error instanceof KmsBootError) {
    if (error.message.startsWith('KmsModule: ')) return error;
    return new KmsBootError(error.reason, `KmsModule: ${error.message}`, {
      cause: error,
      keys: [...error.keys],
    });
  }
  if (error instanceof KmsError)
    return new KmsBootError('config', `KmsModule: ${error.message}`, { cause: error });
  throw error;
}

/**
 * The secrets of one project/environment/path, loaded before the application starts, plus the logged-in
 * {@link KmsClient} that keeps the session alive. Provided by {@link KmsModule}; inject it with
 * `@Inject(KmsService)` and type it with your schema's output:
 *
 * ```ts
 * constructor(@Inject(KmsService) private readonly kms: KmsService<z.output<typeof secrets>>) {}
 * ```
 *
 * Printing the service (`console.log`, `util.inspect`, `JSON.stringify`) shows where it reads from and
 * how many secrets it holds, never a value or a credential.
 *
 * @typeParam T - the shape of the secrets: `Record<string, string>`, or your schema's output.
 */
export class KmsService<T extends Record<string, unknown> = Record<string, string>>
  implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown
{
  /** The logged-in client (also injectable as `KmsClient`). Its token renews itself until shutdown. */
  readonly client: KmsClient;
  /**
   * Changes found by {@link KmsService.refresh} (manual or polled): added, changed and removed keys, plus
   * the new values for your handler. Completes on shutdown.
   */
  readonly changes$: Observable<SecretsChange>;

  readonly #config: ResolvedKmsConfig;
  readonly #schema: StandardSchemaV1 | undefined;
  readonly #refreshInterval: number;
  readonly #changes = new Subject<SecretsChange>();
  readonly #logger = new Logger('KmsModule');
  #raw: Record<string, string>;
  #values: T;
  #refreshedAt: number;
  #lastError: KmsBootError | undefined;
  #lastWarnedReason: string | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #inFlight: Promise<SecretsChange | undefined> | undefined;
  #closing: Promise<void> | undefined;

  private constructor(init: {
    client: KmsClient;
    config: ResolvedKmsConfig;
    schema: StandardSchemaV1 | undefined;
    refreshInterval: number;
    raw: Record<string, string>;
    values: T;
  }) {
    this.client = init.client;
    this.#config = init.config;
    this.#schema = init.schema;
    this.#refreshInterval = init.refreshInterval;
    this.#raw = init.raw;
    this.#values = Object.freeze(redactedRecord(init.values)) as T;
    this.#refreshedAt = Date.now();
    this.changes$ = this.#changes.asObservable();
  }

  /**
   * Resolves the options, logs in and loads the secrets within `bootTimeout`, validates them with
   * `schema` and (with `populateEnv`) merges them into `process.env`. Rejects with a one-line
   * {@link KmsBootError} naming the cause; nothing is left running on failure. `KmsModule` calls this
   * from an async provider, so `NestFactory.create()` fails fast.
   */
  static async create<T extends Record<string, unknown> = Record<string, string>>(
    options: KmsModuleOptions,
  ): Promise<KmsService<T>> {
    const { node, schema, refreshInterval, populateEnv } = splitOptions(options);
    let config: ResolvedKmsConfig;
    try {
      config = resolveConfig(node);
    } catch (error) {
      throw fromModule(error);
    }
    // With polling, a 1 ms cache TTL turns every poll into a conditional request (If-None-Match): an
    // unchanged folder costs a 304 and no decryption on the server.
    const client = createClient(config, refreshInterval > 0 ? { cacheTtl: 1 } : {});
    try {
      const raw = await withBootDeadline(config, (signal) => listValues(client, config, signal));
      const values = (await validateSecrets(schema, raw, where(config))) as T;
      const service = new KmsService<T>({ client, config, schema, refreshInterval, raw, values });
      if (populateEnv) {
        const report = mergeIntoEnv(process.env, raw, config.envMerge);
        if (report.skipped.length > 0) {
          service.#logger.warn(
            `kept ${report.skipped.length} existing environment variable(s) instead of the KMS value: ${report.skipped.join(', ')} (envMerge: preserve)`,
          );
        }
      }
      service.#logger.log(`loaded ${Object.keys(raw).length} secrets from ${where(config)}`);
      return service;
    } catch (error) {
      await closeWithin(client, 2000);
      throw fromModule(error);
    }
  }

  /** The value of `key`, or `undefined` when the folder has no such secret. */
  get<K extends keyof T & string>(key: K): T[K] | undefined {
    return Object.hasOwn(this.#values, key) ? this.#values[key] : undefined;
  }

  /** The value of `key`; throws a {@link KmsError} naming the key (not a value) when it is missing. */
  getOrThrow<K extends keyof T & string>(key: K): NonNullable<T[K]> {
    const value = this.get(key);
    if (value === undefined || value === null) {
      throw new KmsError(`KmsModule: secret ${key} is not set in ${where(this.#config)}`);
    }
    return value as NonNullable<T[K]>;
  }

  /** All secrets as a frozen object (prints as `[REDACTED]` per key in `console.log`). */
  list(): Readonly<T> {
    return this.#values;
  }

  /** The key names held, sorted. */
  keys(): string[] {
    return Object.keys(this.#raw).sort();
  }

  /**
   * Reads the folder again now. When something changed (and the new set passes the schema) the service
   * switches to the new values, emits the change on {@link KmsService.changes$} and resolves to it;
   * resolves to `undefined` when nothing changed. On failure the previous values stay in place and the
   * promise rejects with a one-line {@link KmsBootError}. Concurrent calls share one request.
   */
  refresh(): Promise<SecretsChange | undefined> {
    if (this.#closing) return Promise.reject(new KmsError('KmsModule: refresh() after shutdown'));
    this.#inFlight ??= this.#doRefresh().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  async #doRefresh(): Promise<SecretsChange | undefined> {
    try {
      const raw = await withBootDeadline(this.#config, (signal) =>
        listValues(this.client, this.#config, signal),
      );
      const values = (await validateSecrets(this.#schema, raw, where(this.#config))) as T;
      this.#refreshedAt = Date.now();
      this.#lastError = undefined;
      const change = diffSecrets(this.#raw, raw);
      if (!change) return undefined;
      this.#raw = raw;
      this.#values = Object.freeze(redactedRecord(values)) as T;
      this.#changes.next(change);
      return change;
    } catch (error) {
      const failure = fromModule(error);
      this.#lastError = failure;
      throw failure;
    }
  }

  /** Session and freshness, without values: what the health indicator reports. */
  status(): KmsStatus {
    return {
      status: this.#lastError || this.#closing ? 'down' : 'up',
      project: projectLabel(this.#config),
      environment: this.#config.environment,
      secretPath: this.#config.secretPath,
      secrets: Object.keys(this.#raw).length,
      lastRefreshedAt: new Date(this.#refreshedAt).toISOString(),
      ageMs: Date.now() - this.#refreshedAt,
      refreshInterval: this.#refreshInterval,
      ...(this.#lastError ? { lastError: this.#lastError.message } : {}),
      closed: this.#closing !== undefined,
    };
  }

  /** Starts polling when `refreshInterval` is set. Called by Nest after every module is initialised. */
  onApplicationBootstrap(): void {
    if (this.#refreshInterval > 0 && !this.#timer && !this.#closing) this.#schedule();
  }

  #schedule(): void {
    this.#timer = setTimeout(() => {
      this.refresh()
        .then(() => {
          this.#lastWarnedReason = undefined;
        })
        .catch((error: unknown) => {
          const reason = error instanceof KmsBootError ? error.reason : 'unknown';
          // One warning per kind of failure, not one per poll.
          if (reason !== this.#lastWarnedReason) {
            this.#lastWarnedReason = reason;
            this.#logger.warn(`refresh failed, keeping the previous secrets: ${(error as Error).message}`);
          }
        })
        .finally(() => {
          if (!this.#closing) this.#schedule();
        });
    }, this.#refreshInterval);
    // Polling must never keep the process alive on its own.
    this.#timer.unref?.();
  }

  /** Stops polling. Called by Nest on `app.close()`. */
  onModuleDestroy(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Ends the session: stops every timer and revokes the token. Called by Nest on `app.close()`. */
  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  /**
   * Stops polling, completes {@link KmsService.changes$}, stops the client's renewal timers and revokes
   * its token (bounded to 5 s). Idempotent; `app.close()` calls it, with or without
   * `enableShutdownHooks()`.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.onModuleDestroy();
      await this.#inFlight?.catch(() => undefined);
      this.#changes.complete();
      await closeWithin(this.client, 5000);
    })();
    return this.#closing;
  }

  /** A value-free description (also what `JSON.stringify` prints). */
  toJSON(): Record<string, unknown> {
    return {
      project: projectLabel(this.#config),
      environment: this.#config.environment,
      secretPath: this.#config.secretPath,
      keys: this.keys(),
    };
  }

  /** `util.inspect` / `console.log` show {@link KmsService.toJSON}. */
  [inspectSymbol](): string {
    return `KmsService ${JSON.stringify(this.toJSON())}`;
  }
}

function where(config: ResolvedKmsConfig): string {
  return `project ${projectLabel(config)}, environment ${config.environment}, path ${config.secretPath}`;
}
