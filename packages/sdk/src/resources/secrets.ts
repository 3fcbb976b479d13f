/**
 * `client.secrets`: list, retrieve, create, update, delete and `batch` over the v3 raw endpoints.
 *
 * @module
 */
import * as z from 'zod/mini';
import {
  isCleanString,
  isOptionalBoolean,
  isPlainWithKeys,
  lazySchemas,
  nonEmptyString,
  parseInput,
} from '../input-validation.js';
import type { CacheScope } from '../response-cache.js';
import { type Secret, type SecretMetadataEntry, toSecret } from '../secret.js';
import { mergeIntoEnv } from '../env-merge.js';
import { KmsValidationError } from '../errors.js';
import { dedupeByKey, mergeImports, type SecretImportBlock, sortByKey } from '../secret-list-merge.js';
import type { RequestOptions } from '../transport.js';
import {
  flag,
  pathSegment,
  type ProjectSelector,
  projectSelectorShape,
  requireProject,
  secretPathSchema,
  VERBS,
} from './request-params.js';
import { APIResource } from './resource.js';

/** Where secrets live: a project, an environment and a folder path. */
export interface SecretLocation extends ProjectSelector {
  /** Environment slug, e.g. `dev`. */
  environment: string;
  /** Folder path. @default "/" */
  secretPath?: string;
}

/** Parameters of {@link Secrets.list} (kms-go `ListSecretsOptions`). */
export interface ListSecretsParams extends SecretLocation {
  /** Include secrets of every sub-folder; duplicates keys are reduced to one. @default false */
  recursive?: boolean;
  /** Merge secrets of imported folders (local secrets win, then earlier imports). @default false */
  includeImports?: boolean;
  /**
   * Let the server expand `${KEY}` / `${env.path.KEY}` references. On by default (unlike kms-go and the
   * server's v3 default) because references left literal are rarely what an application wants.
   * @default true
   */
  expandSecretReferences?: boolean;
  /** Keep only secrets having any of these tag slugs. @default undefined (no filter) */
  tagSlugs?: string[];
  /** `false` masks every value as `<hidden-by-kms>`. @default true */
  viewSecretValue?: boolean;
  /**
   * Write the result into `process.env` (not available on edge runtimes): kms-go's name for
   * {@link mergeIntoEnv} with the `preserve` policy (`override` with `overrideEnv`). Unset and empty
   * variables are filled; variables holding another value are kept.
   * @default false
   */
  attachToProcessEnv?: boolean;
  /** kms-go's name for the `override` policy: with `attachToProcessEnv`, replace variables that hold another value. @default false */
  overrideEnv?: boolean;
}

/** Result of {@link Secrets.list}. */
export interface ListSecretsResult {
  /** The secrets: de-duplicated (recursive), merged with imports (includeImports), sorted by key. */
  secrets: Secret[];
  /** The import blocks as the server returned them (empty unless `includeImports`). */
  imports: SecretImportBlock[];
  /** `true` when the cache served the last good value because the server could not be reached. */
  stale: boolean;
}

/** Parameters of {@link Secrets.retrieve}. */
export interface RetrieveSecretParams extends SecretLocation {
  /** The secret's key. */
  secretName: string;
  /** `shared` or `personal`. @default "shared" */
  type?: 'shared' | 'personal';
  /** Read this historical version. @default undefined (latest) */
  version?: number;
  /** Expand references in the value. @default true */
  expandSecretReferences?: boolean;
  /** Look the key up in imports when it is not local. @default false */
  includeImports?: boolean;
  /** `false` masks the value. @default true */
  viewSecretValue?: boolean;
}

/** Fields shared by create and update. */
export interface SecretWriteFields {
  /** Comment. */
  secretComment?: string;
  /** Tag ids to attach (replaces the tag set on update). */
  tagIds?: string[];
  /** Metadata entries (replaces the metadata set on update). */
  secretMetadata?: SecretMetadataEntry[];
  /** Do not encode newlines when exporting. */
  skipMultilineEncoding?: boolean;
  /** `shared` or `personal`. @default "shared" */
  type?: 'shared' | 'personal';
}

/** Parameters of {@link Secrets.create}. */
export interface CreateSecretParams extends SecretLocation, SecretWriteFields {
  /** The new secret's key (no `:` or `/`). */
  secretName: string;
  /** The value. */
  secretValue: string;
}

/** Parameters of {@link Secrets.update}. */
export interface UpdateSecretParams extends SecretLocation, SecretWriteFields {
  /** The key of the secret to update. */
  secretName: string;
  /** New value; omitted leaves the value unchanged (`""` sets an empty value). */
  secretValue?: string;
  /** Rename the secret to this key. */
  newSecretName?: string;
}

/** Parameters of {@link Secrets.delete}. */
export interface DeleteSecretParams extends SecretLocation {
  /** The key of the secret to delete. */
  secretName: string;
  /** `shared` or `personal`. @default "shared" */
  type?: 'shared' | 'personal';
}

/** Parameters of {@link Secrets.versions}. */
export interface SecretVersionsParams {
  /** The secret's id (`secret.id`, a UUID). */
  secretId: string;
  /** Versions to skip, newest first. @default 0 */
  offset?: number;
  /** Versions to return (1–100). @default 20 */
  limit?: number;
}

/** Parameters of {@link Secrets.rollback}. */
export interface RollbackSecretParams {
  /** The secret's id (`secret.id`, a UUID). */
  secretId: string;
  /** The kept version whose value becomes the next version. */
  version: number;
}

/** One secret of {@link SecretsBatch.create}. */
export interface BatchCreateSecretItem {
  /** Key of the new secret. */
  secretKey: string;
  /** Value of the new secret. */
  secretValue: string;
  /** Comment. */
  secretComment?: string;
  /** Do not encode newlines when exporting. */
  skipMultilineEncoding?: boolean;
  /** Metadata entries. */
  secretMetadata?: SecretMetadataEntry[];
  /** Tag ids to attach. */
  tagIds?: string[];
}

/** One secret of {@link SecretsBatch.update}. */
export interface BatchUpdateSecretItem {
  /** Key of the secret to update. */
  secretKey: string;
  /** New value; omitted leaves it unchanged. */
  secretValue?: string;
  /** Per-item folder override. */
  secretPath?: string;
  /** New comment. */
  secretComment?: string;
  /** Rename the secret to this key. */
  newSecretName?: string;
  /** Do not encode newlines when exporting. */
  skipMultilineEncoding?: boolean;
  /** Replaces the metadata set. */
  secretMetadata?: SecretMetadataEntry[];
  /** Replaces the tag set. */
  tagIds?: string[];
}

/** Parameters of {@link SecretsBatch.create}. */
export interface BatchCreateSecretsParams extends SecretLocation {
  /** The secrets to create (at least one); if any key exists, nothing is created. */
  secrets: BatchCreateSecretItem[];
}

/** Parameters of {@link SecretsBatch.update}. */
export interface BatchUpdateSecretsParams extends SecretLocation {
  /** The secrets to update (at least one). */
  secrets: BatchUpdateSecretItem[];
  /** What to do with keys that do not exist. @default "failOnNotFound" */
  mode?: 'failOnNotFound' | 'upsert' | 'ignore';
}

/** One secret of {@link SecretsBatch.delete}. */
export interface BatchDeleteSecretItem {
  /** Key of the secret to delete. */
  secretKey: string;
  /** `shared` or `personal`. @default "shared" */
  type?: 'shared' | 'personal';
}

/** Parameters of {@link SecretsBatch.delete}. */
export interface BatchDeleteSecretsParams extends SecretLocation {
  /** The secrets to delete (at least one). */
  secrets: BatchDeleteSecretItem[];
}

const schemas = lazySchemas(() => {
  const secretType = z.optional(z.enum(['shared', 'personal']));
  const metadata = z.optional(
    z.array(
      z.strictObject({ key: nonEmptyString(), value: z.string(), isEncrypted: z.optional(z.boolean()) }),
    ),
  );
  const locationShape = {
    ...projectSelectorShape(),
    environment: nonEmptyString(),
    secretPath: z.optional(secretPathSchema()),
  };
  const writeShape = {
    secretComment: z.optional(z.string()),
    tagIds: z.optional(z.array(nonEmptyString())),
    secretMetadata: metadata,
    skipMultilineEncoding: z.optional(z.boolean()),
    type: secretType,
  };

  const listSchema = z.strictObject({
    ...locationShape,
    recursive: z.optional(z.boolean()),
    includeImports: z.optional(z.boolean()),
    expandSecretReferences: z.optional(z.boolean()),
    tagSlugs: z.optional(z.array(nonEmptyString())),
    viewSecretValue: z.optional(z.boolean()),
    attachToProcessEnv: z.optional(z.boolean()),
    overrideEnv: z.optional(z.boolean()),
  });
  const retrieveSchema = z.strictObject({
    ...locationShape,
    secretName: nonEmptyString(),
    type: secretType,
    version: z.optional(z.number().check(z.int(), z.positive())),
    expandSecretReferences: z.optional(z.boolean()),
    includeImports: z.optional(z.boolean()),
    viewSecretValue: z.optional(z.boolean()),
  });
  const versionsSchema = z.strictObject({
    secretId: nonEmptyString(),
    offset: z.optional(z.number().check(z.int(), z.nonnegative())),
    limit: z.optional(z.number().check(z.int(), z.positive(), z.lte(100))),
  });
  const rollbackSchema = z.strictObject({
    secretId: nonEmptyString(),
    version: z.number().check(z.int(), z.positive()),
  });
  const createSchema = z.strictObject({
    ...locationShape,
    ...writeShape,
    secretName: nonEmptyString(),
    secretValue: z.string(),
  });
  const updateSchema = z.strictObject({
    ...locationShape,
    ...writeShape,
    secretName: nonEmptyString(),
    secretValue: z.optional(z.string()),
    newSecretName: z.optional(nonEmptyString()),
  });
  const deleteSchema = z.strictObject({ ...locationShape, secretName: nonEmptyString(), type: secretType });
  const batchCreateSchema = z.strictObject({
    ...locationShape,
    secrets: z
      .array(
        z.strictObject({
          secretKey: nonEmptyString(),
          secretValue: z.string(),
          secretComment: z.optional(z.string()),
          skipMultilineEncoding: z.optional(z.boolean()),
          secretMetadata: metadata,
          tagIds: z.optional(z.array(nonEmptyString())),
        }),
      )
      .check(z.minLength(1)),
  });
  const batchUpdateSchema = z.strictObject({
    ...locationShape,
    mode: z.optional(z.enum(['failOnNotFound', 'upsert', 'ignore'])),
    secrets: z
      .array(
        z.strictObject({
          secretKey: nonEmptyString(),
          secretValue: z.optional(z.string()),
          secretPath: z.optional(secretPathSchema()),
          secretComment: z.optional(z.string()),
          newSecretName: z.optional(nonEmptyString()),
          skipMultilineEncoding: z.optional(z.boolean()),
          secretMetadata: metadata,
          tagIds: z.optional(z.array(nonEmptyString())),
        }),
      )
      .check(z.minLength(1)),
  });
  const batchDeleteSchema = z.strictObject({
    ...locationShape,
    secrets: z.array(z.strictObject({ secretKey: nonEmptyString(), type: secretType })).check(z.minLength(1)),
  });
  return {
    listSchema,
    retrieveSchema,
    versionsSchema,
    rollbackSchema,
    createSchema,
    updateSchema,
    deleteSchema,
    batchCreateSchema,
    batchUpdateSchema,
    batchDeleteSchema,
  };
});

/** `attachToProcessEnv`: {@link mergeIntoEnv} into `process.env`, which edge runtimes do not have. */
function attachToProcessEnv(secrets: readonly Secret[], override: boolean): void {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  if (!env)
    throw new KmsValidationError('attachToProcessEnv', 'process.env is not available in this runtime');
  const values: Record<string, string> = {};
  for (const { secretKey, secretValue } of secrets) values[secretKey] = secretValue;
  mergeIntoEnv(env, values, override ? 'override' : 'preserve');
}

const LIST_KEYS = [
  'projectId',
  'projectSlug',
  'environment',
  'secretPath',
  'recursive',
  'includeImports',
  'expandSecretReferences',
  'viewSecretValue',
  'attachToProcessEnv',
  'overrideEnv',
];

/**
 * The list parameters a boot passes, recognised without zod (see the fast paths in
 * `input-validation.ts`): when this says yes, the list schema would return `params` unchanged.
 */
export function isCommonListParams(params: unknown): params is ListSecretsParams {
  if (!isPlainWithKeys(params, LIST_KEYS)) return false;
  const { projectId, projectSlug, environment, secretPath } = params;
  return (
    (projectId === undefined || isCleanString(projectId)) &&
    (projectSlug === undefined || isCleanString(projectSlug)) &&
    isCleanString(environment) &&
    // A path the schema would not trim or shorten: it starts with `/` and (unless it is `/`) does not end with one.
    (secretPath === undefined ||
      (isCleanString(secretPath) &&
        secretPath.startsWith('/') &&
        (secretPath === '/' || !secretPath.endsWith('/')))) &&
    LIST_KEYS.slice(4).every((key) => isOptionalBoolean(params[key]))
  );
}

/** @internal The schema of {@link ListSecretsParams} (for the fast path's property test). */
export const listParamsSchema = () => schemas().listSchema;

interface WireImport {
  secretPath: string;
  environment: string;
  secrets: unknown[];
}

function projectQuery(p: ProjectSelector): { workspaceId?: string; workspaceSlug?: string } {
  return p.projectId ? { workspaceId: p.projectId } : { workspaceSlug: p.projectSlug };
}

function projectBody(p: ProjectSelector): { workspaceId?: string; projectSlug?: string } {
  return p.projectId ? { workspaceId: p.projectId } : { projectSlug: p.projectSlug };
}

function scopeOf(project: string, p: { environment: string; secretPath?: string | undefined }): CacheScope {
  return { project, environment: p.environment, secretPath: p.secretPath ?? '/' };
}

function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** `client.secrets.batch`: all-or-nothing writes of many secrets in one folder. */
export class SecretsBatch extends APIResource {
  /** Creates many secrets (`POST /api/v3/secrets/batch/raw`); fails if any key exists. */
  async create(params: BatchCreateSecretsParams, requestOptions?: RequestOptions): Promise<Secret[]> {
    const p = parseInput(schemas().batchCreateSchema, params);
    const project = requireProject(p);
    const secretPath = p.secretPath ?? '/';
    return this.write({
      method: 'POST',
      project,
      location: p,
      body: { secrets: p.secrets.map(defined) },
      values: p.secrets,
      requestOptions,
      fillPath: secretPath,
    });
  }

  /** Updates (or with `mode: 'upsert'` creates) many secrets (`PATCH /api/v3/secrets/batch/raw`). */
  async update(params: BatchUpdateSecretsParams, requestOptions?: RequestOptions): Promise<Secret[]> {
    const p = parseInput(schemas().batchUpdateSchema, params);
    const project = requireProject(p);
    const body = { secrets: p.secrets.map(defined), ...(p.mode ? { mode: p.mode } : {}) };
    const result = await this.write({
      method: 'PATCH',
      project,
      location: p,
      body,
      values: p.secrets,
      requestOptions,
    });
    for (const item of p.secrets) {
      if (item.secretPath) this.context.invalidate(scopeOf(project, { ...p, secretPath: item.secretPath }));
    }
    return result;
  }

  /** Deletes many secrets (`DELETE /api/v3/secrets/batch/raw`); returns the deleted secrets. */
  async delete(params: BatchDeleteSecretsParams, requestOptions?: RequestOptions): Promise<Secret[]> {
    const p = parseInput(schemas().batchDeleteSchema, params);
    const project = requireProject(p);
    return this.write({
      method: 'DELETE',
      project,
      location: p,
      body: { secrets: p.secrets.map(defined) },
      values: [],
      requestOptions,
    });
  }

  /** One batch request; the cache of the folder is dropped whatever the outcome. */
  private async write(w: {
    method: 'POST' | 'PATCH' | 'DELETE';
    project: string;
    /** Project, environment and folder of the batch. */
    location: ProjectSelector & { environment: string; secretPath?: string | undefined };
    /** Body fields besides the location (`secrets`, `mode`). */
    body: Record<string, unknown>;
    /** Items whose values must never appear in an error. */
    values: readonly { secretValue?: string | undefined }[];
    requestOptions: RequestOptions | undefined;
    /** `secretPath` to fill into answers that lack it (create answers do). */
    fillPath?: string;
  }): Promise<Secret[]> {
    const { method, project, location: p, body: extra, values: items, requestOptions, fillPath } = w;
    try {
      const { data } = await this.context.request<{ secrets: unknown[] }>({
        operation: `secrets.batch.${VERBS[method]}`,
        counted: ['secrets'],
        expect: { secrets: 'array' },
        method,
        path: '/v3/secrets/batch/raw',
        body: { ...projectBody(p), environment: p.environment, secretPath: p.secretPath ?? '/', ...extra },
        idempotent: false,
        sensitive: items.map((i) => i.secretValue).filter((v): v is string => typeof v === 'string'),
        requestOptions,
      });
      return (data?.secrets ?? []).map((s) => toSecret(s, fillPath ? { secretPath: fillPath } : {}));
    } finally {
      this.context.invalidate(scopeOf(project, p));
    }
  }
}

/**
 * kms-go's list post-processing of one response: secrets (de-duplicated when recursive, merged with
 * imports when asked) sorted by key, as frozen snapshots that can be shared between calls.
 */
function processList(
  data: { secrets?: unknown[]; imports?: WireImport[] } | undefined,
  recursive: boolean,
  includeImports: boolean,
): { secrets: Secret[]; imports: SecretImportBlock[] } {
  let secrets = (data?.secrets ?? []).map((s) => Object.freeze(toSecret(s)));
  const imports: SecretImportBlock[] = (data?.imports ?? []).map((block) =>
    Object.freeze({
      secretPath: block.secretPath,
      environment: block.environment,
      secrets: (block.secrets ?? []).map((s) =>
        Object.freeze(toSecret(s, { secretPath: block.secretPath, environment: block.environment })),
      ),
    }),
  );
  if (recursive) secrets = dedupeByKey(secrets);
  if (includeImports) secrets = mergeImports(secrets, imports);
  sortByKey(secrets);
  return { secrets, imports };
}

/** `client.secrets`: read and write secrets (v3 raw endpoints). */
export class Secrets extends APIResource {
  /** Batch writes. */
  readonly batch: SecretsBatch;

  /** @internal */
  constructor(context: ConstructorParameters<typeof APIResource>[0]) {
    super(context);
    this.batch = new SecretsBatch(context);
  }

  /**
   * Lists the secrets of a folder (`GET /api/v3/secrets/raw`), then post-processes like kms-go:
   * de-duplicates recursive results by key, merges imports (local first, then earlier imports), sorts by
   * key, and optionally fills `process.env`.
   */
  async list(params: ListSecretsParams, requestOptions?: RequestOptions): Promise<ListSecretsResult> {
    const p = isCommonListParams(params) ? params : parseInput(schemas().listSchema, params);
    const project = requireProject(p);
    const expand = p.expandSecretReferences ?? true;
    const includeImports = p.includeImports ?? false;
    const recursive = p.recursive ?? false;
    const { data, stale } = await this.context.cachedGet<{ secrets?: unknown[]; imports?: WireImport[] }>(
      {
        operation: 'secrets.list',
        counted: ['secrets', 'imports'],
        expect: { secrets: 'array' },
        method: 'GET',
        path: '/v3/secrets/raw',
        query: {
          ...projectQuery(p),
          environment: p.environment,
          secretPath: p.secretPath ?? '/',
          expandSecretReferences: flag(expand),
          include_imports: flag(includeImports),
          recursive: flag(recursive),
          viewSecretValue: flag(p.viewSecretValue ?? true),
          tagSlugs: p.tagSlugs?.length ? p.tagSlugs.join(',') : undefined,
        },
        idempotent: true,
        requestOptions,
      },
      { ...scopeOf(project, p), recursive, crossPath: expand || includeImports },
    );
    // A cache hit hands back the same response object: its post-processing is done once, not per hit.
    let processed = data ? this.#processed.get(data) : undefined;
    if (!processed) {
      processed = processList(data, recursive, includeImports);
      if (data) this.#processed.set(data, processed);
    }
    // (data is never shared between list calls that differ in recursive / includeImports: both are in the query)
    const secrets = processed.secrets.slice();
    if (p.attachToProcessEnv) attachToProcessEnv(secrets, p.overrideEnv ?? false);
    return { secrets, imports: processed.imports.slice(), stale };
  }

  /** Post-processed lists by the response they came from (the cache keeps the response alive). */
  readonly #processed = new WeakMap<object, { secrets: Secret[]; imports: SecretImportBlock[] }>();

  /** Reads one secret (`GET /api/v3/secrets/raw/:secretName`). */
  async retrieve(params: RetrieveSecretParams, requestOptions?: RequestOptions): Promise<Secret> {
    const p = parseInput(schemas().retrieveSchema, params);
    const project = requireProject(p);
    const expand = p.expandSecretReferences ?? true;
    const { data } = await this.context.cachedGet<{ secret: unknown }>(
      {
        operation: 'secrets.retrieve',
        expect: { secret: 'object' },
        method: 'GET',
        path: `/v3/secrets/raw/${pathSegment('secretName', p.secretName)}`,
        query: {
          ...projectQuery(p),
          environment: p.environment,
          secretPath: p.secretPath ?? '/',
          type: p.type,
          version: p.version === undefined ? undefined : String(p.version),
          expandSecretReferences: flag(expand),
          include_imports: flag(p.includeImports),
          viewSecretValue: flag(p.viewSecretValue),
        },
        idempotent: true,
        requestOptions,
      },
      { ...scopeOf(project, p), crossPath: expand || p.includeImports === true },
    );
    return toSecret(data.secret);
  }

  /**
   * The kept versions of a secret, newest first (`GET /api/v1/secret/:secretId/secret-versions`).
   * Values are masked (`secretValueHidden: true`) for identities that may not read values. How many
   * versions a secret keeps is the project's `pitVersionLimit`.
   */
  async versions(params: SecretVersionsParams, requestOptions?: RequestOptions): Promise<Secret[]> {
    const p = parseInput(schemas().versionsSchema, params);
    const { data } = await this.context.request<{ secretVersions: unknown[] }>({
      operation: 'secrets.versions',
      expect: { secretVersions: 'array' },
      method: 'GET',
      path: `/v1/secret/${pathSegment('secretId', p.secretId)}/secret-versions`,
      query: { offset: String(p.offset ?? 0), limit: String(p.limit ?? 20) },
      idempotent: true,
      requestOptions,
    });
    return (data?.secretVersions ?? []).map((s) => toSecret(s));
  }

  /**
   * Rolls a secret back to one of its kept versions
   * (`POST /api/v1/secret/:secretId/secret-versions/rollback`): that version's value, comment and
   * metadata become the next version, so a rollback can be rolled back too. Not retried once sent.
   */
  async rollback(params: RollbackSecretParams, requestOptions?: RequestOptions): Promise<Secret> {
    const p = parseInput(schemas().rollbackSchema, params);
    const { data } = await this.context.request<{ secret: unknown }>({
      operation: 'secrets.rollback',
      expect: { secret: 'object' },
      method: 'POST',
      path: `/v1/secret/${pathSegment('secretId', p.secretId)}/secret-versions/rollback`,
      body: { version: p.version },
      idempotent: false,
      requestOptions,
    });
    const secret = toSecret(data?.secret);
    // The folder is known only from the answer: drop what the cache holds for it.
    this.context.invalidate(
      scopeOf(`id:${secret.workspace}`, { environment: secret.environment, secretPath: secret.secretPath }),
    );
    return secret;
  }

  /** Creates a secret (`POST /api/v3/secrets/raw/:secretName`). Not retried once sent. */
  async create(params: CreateSecretParams, requestOptions?: RequestOptions): Promise<Secret> {
    const p = parseInput(schemas().createSchema, params);
    const { secretName, projectId, projectSlug, environment, secretPath, ...fields } = p;
    return this.writeOne('POST', requireProject(p), p, defined(fields), requestOptions);
  }

  /** Updates a secret's value, comment, tags or metadata, or renames it with `newSecretName`. */
  async update(params: UpdateSecretParams, requestOptions?: RequestOptions): Promise<Secret> {
    const p = parseInput(schemas().updateSchema, params);
    const { secretName, projectId, projectSlug, environment, secretPath, ...fields } = p;
    return this.writeOne('PATCH', requireProject(p), p, defined(fields), requestOptions);
  }

  /** Deletes a secret; returns the deleted secret. */
  async delete(params: DeleteSecretParams, requestOptions?: RequestOptions): Promise<Secret> {
    const p = parseInput(schemas().deleteSchema, params);
    return this.writeOne('DELETE', requireProject(p), p, defined({ type: p.type }), requestOptions);
  }

  private async writeOne(
    method: 'POST' | 'PATCH' | 'DELETE',
    project: string,
    p: ProjectSelector & { secretName: string; environment: string; secretPath?: string | undefined },
    fields: Record<string, unknown> & { secretValue?: string | undefined },
    requestOptions: RequestOptions | undefined,
  ): Promise<Secret> {
    try {
      const { data } = await this.context.request<{ secret: unknown }>({
        operation: `secrets.${VERBS[method]}`,
        expect: { secret: 'object' },
        method,
        path: `/v3/secrets/raw/${pathSegment('secretName', p.secretName)}`,
        body: { ...projectBody(p), environment: p.environment, secretPath: p.secretPath ?? '/', ...fields },
        idempotent: false,
        sensitive: typeof fields.secretValue === 'string' ? [fields.secretValue] : [],
        requestOptions,
      });
      return toSecret(data?.secret);
    } finally {
      this.context.invalidate(scopeOf(project, p));
    }
  }
}
