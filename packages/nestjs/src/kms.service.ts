/**
 * `KmsService`: a `@hanzo/kms-node` secrets session inside a Nest app: the loaded secrets, their
 * refresh as an Observable, and the session's end on `app.close()`.
 *
 * @module
 */
import type { KmsClient } from '@hanzo/kms';
import {
  createSecretsSession,
  KmsBootError,
  type SecretsChange,
  type SecretsSession,
  type SecretsSessionStatus,
  type StandardSchemaV1,
} from '@hanzo/kms-node';
import type { OnApplicationBootstrap, OnApplicationShutdown, OnModuleDestroy } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import { type Observable, Subject } from 'rxjs';
import { type KmsModuleOptions, MODULE, splitOptions } from './options.js';

/** What {@link KmsService.status} reports: freshness and session state, never values. */
export type KmsStatus = SecretsSessionStatus;

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
 * which keys it holds, never a value or a credential.
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

  readonly #session: SecretsSession<StandardSchemaV1 | undefined>;
  readonly #changes = new Subject<SecretsChange>();
  #closing: Promise<void> | undefined;

  private constructor(session: SecretsSession<StandardSchemaV1 | undefined>) {
    this.#session = session;
    this.client = session.client;
    this.changes$ = this.#changes.asObservable();
    session.onChange((change) => this.#changes.next(change));
  }

  /**
   * Resolves the options, logs in and loads the secrets within `bootTimeout`, validates them with
   * `schema` and (with `writeEnv`) merges them into `process.env`. Rejects with a one-line
   * {@link KmsBootError} whose `source` is `KmsModule`; nothing is left running on failure. `KmsModule`
   * calls this from an async provider, so `NestFactory.create()` fails fast.
   */
  static async create<T extends Record<string, unknown> = Record<string, string>>(
    options: KmsModuleOptions,
  ): Promise<KmsService<T>> {
    const logger = new Logger(MODULE);
    const session = createSecretsSession({
      ...splitOptions(options),
      source: MODULE,
      onRefreshError: (error) =>
        logger.warn(`refresh failed, keeping the previous secrets: ${error.message}`),
    });
    const { merge } = await session.load();
    if (merge && merge.skipped.length > 0) {
      logger.warn(
        `kept ${merge.skipped.length} existing environment variable(s) instead of the KMS value: ${merge.skipped.join(', ')} (envMerge: preserve)`,
      );
    }
    logger.log(`loaded ${Object.keys(session.secrets).length} secrets from ${session.where}`);
    return new KmsService<T>(session);
  }

  /** The value of `key`, or `undefined` when the folder has no such secret. */
  get<K extends keyof T & string>(key: K): T[K] | undefined {
    const values = this.list();
    return Object.hasOwn(values, key) ? values[key] : undefined;
  }

  /** The value of `key`; throws a `not-found` {@link KmsBootError} naming the key (not a value) when it is missing. */
  getOrThrow<K extends keyof T & string>(key: K): NonNullable<T[K]> {
    const value = this.get(key);
    if (value === undefined || value === null) {
      throw new KmsBootError('not-found', `secret ${key} is not set in ${this.#session.where}`, {
        source: MODULE,
        keys: [key],
      });
    }
    return value as NonNullable<T[K]>;
  }

  /** All secrets as a frozen object (prints as `[REDACTED]` per key in `console.log` and JSON). */
  list(): Readonly<T> {
    return this.#session.values as Readonly<T>;
  }

  /** The key names held, sorted. */
  keys(): string[] {
    return Object.keys(this.#session.secrets).sort();
  }

  /**
   * Reads the folder again now. When something changed (and the new set passes the schema) the service
   * switches to the new values, emits the change on {@link KmsService.changes$} and resolves to it;
   * resolves to `undefined` when nothing changed. On failure the previous values stay in place and the
   * promise rejects with a one-line {@link KmsBootError}. Concurrent calls share one request.
   */
  refresh(): Promise<SecretsChange | undefined> {
    return this.#session.refresh();
  }

  /** Session and freshness, without values: what the health indicator reports. */
  status(): KmsStatus {
    return this.#session.status();
  }

  /** Starts polling when `refreshInterval` is set. Called by Nest after every module is initialised. */
  onApplicationBootstrap(): void {
    this.#session.start();
  }

  /** Stops polling. Called by Nest on `app.close()`. */
  onModuleDestroy(): void {
    this.#session.stop();
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
    this.#closing ??= this.#session.close(5000).then(() => this.#changes.complete());
    return this.#closing;
  }

  /** A value-free description (also what `JSON.stringify` prints). */
  toJSON(): Record<string, unknown> {
    return this.#session.toJSON();
  }

  /** `util.inspect` / `console.log` show {@link KmsService.toJSON}. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `KmsService ${JSON.stringify(this.toJSON())}`;
  }
}
