/**
 * `client.folders`: list, create, update and delete folders (`/api/v1/folders`).
 *
 * @module
 */
import * as z from 'zod/mini';
import { KmsValidationError } from '../errors.js';
import { lazySchemas, nonEmptyString, parseInput } from '../input-validation.js';
import type { RequestOptions } from '../transport.js';
import { flag, pathSegment, secretPathSchema, VERBS } from './request-params.js';
import { APIResource } from './resource.js';

/** A folder as the KMS returns it. */
export interface Folder {
  /** Folder id (UUID). */

  id: string;
  /** Folder name. */
  name: string;
  /** Version, starting at 1. */
  version?: number;
  /** Id of the environment the folder belongs to. */
  envId?: string;
  /** Parent folder id; `null` for the root folder. */
  parentId?: string | null;
  /** Reserved folders are managed by the server. */
  isReserved?: boolean;
  /** Optional description. */
  description?: string | null;
  /** Full path of the folder (create and update responses). */
  path?: string;
  /** ISO-8601 timestamp. */
  createdAt?: string;
  /** ISO-8601 timestamp. */
  updatedAt?: string;
}

/** Where folders live. Folder routes take a project id only (no slug). */
export interface FolderLocation {
  /** Project (workspace) id. */
  projectId: string;
  /** Environment slug. */
  environment: string;
  /** Parent path. @default "/" */
  path?: string;
}

/** Parameters of {@link Folders.list}. */
export interface ListFoldersParams extends FolderLocation {
  /** Include every sub-folder. @default false */
  recursive?: boolean;
}

/** Parameters of {@link Folders.create}. */
export interface CreateFolderParams extends FolderLocation {
  /** Folder name: letters, digits, `-` and `_`. */
  name: string;
  /** Optional description. */
  description?: string;
}

/** Parameters of {@link Folders.update}. */
export interface UpdateFolderParams extends FolderLocation {
  /** Id of the folder to update. */
  folderId: string;
  /** New name. */
  name: string;
  /** New description. */
  description?: string;
}

/** Parameters of {@link Folders.delete}: give `folderId` or `folderName`. */
export interface DeleteFolderParams extends FolderLocation {
  /** Id of the folder to delete. */
  folderId?: string;
  /** Name of the folder to delete (alternative to `folderId`). */
  folderName?: string;
}

const schemas = lazySchemas(() => {
  const folderName = () => z.string().check(z.trim(), z.regex(/^[A-Za-z0-9_-]+$/));
  const locationShape = {
    projectId: nonEmptyString(),
    environment: nonEmptyString(),
    path: z.optional(secretPathSchema()),
  };
  const listSchema = z.strictObject({ ...locationShape, recursive: z.optional(z.boolean()) });
  const createSchema = z.strictObject({
    ...locationShape,
    name: folderName(),
    description: z.optional(z.string()),
  });
  const updateSchema = z.strictObject({
    ...locationShape,
    folderId: nonEmptyString(),
    name: folderName(),
    description: z.optional(z.string()),
  });
  const deleteSchema = z.strictObject({
    ...locationShape,
    folderId: z.optional(nonEmptyString()),
    folderName: z.optional(nonEmptyString()),
  });
  return { listSchema, createSchema, updateSchema, deleteSchema };
});

function childPath(parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}

/** `client.folders`. */
export class Folders extends APIResource {
  /** Lists the folders under `path` (`GET /api/v1/folders`). */
  async list(params: ListFoldersParams, requestOptions?: RequestOptions): Promise<Folder[]> {
    const p = parseInput(schemas().listSchema, params);
    const { data } = await this.context.request<{ folders: Folder[] }>({
      operation: 'folders.list',
      counted: ['folders'],
      expect: { folders: 'array' },
      method: 'GET',
      path: '/v1/folders',
      query: {
        workspaceId: p.projectId,
        environment: p.environment,
        path: p.path ?? '/',
        recursive: flag(p.recursive),
      },
      idempotent: true,
      requestOptions,
    });
    return data?.folders ?? [];
  }

  /** Creates a folder (`POST /api/v1/folders`). */
  async create(params: CreateFolderParams, requestOptions?: RequestOptions): Promise<Folder> {
    const p = parseInput(schemas().createSchema, params);
    return this.write(
      'POST',
      '/v1/folders',
      p,
      p.name,
      {
        name: p.name,
        ...(p.description === undefined ? {} : { description: p.description }),
      },
      requestOptions,
    );
  }

  /** Renames or re-describes a folder (`PATCH /api/v1/folders/:folderId`). */
  async update(params: UpdateFolderParams, requestOptions?: RequestOptions): Promise<Folder> {
    const p = parseInput(schemas().updateSchema, params);
    return this.write(
      'PATCH',
      `/v1/folders/${pathSegment('folderId', p.folderId)}`,
      p,
      undefined,
      {
        name: p.name,
        ...(p.description === undefined ? {} : { description: p.description }),
      },
      requestOptions,
    );
  }

  /** Deletes a folder and everything in it (`DELETE /api/v1/folders/:folderIdOrName`). */
  async delete(params: DeleteFolderParams, requestOptions?: RequestOptions): Promise<Folder> {
    const p = parseInput(schemas().deleteSchema, params);
    const target = p.folderId ?? p.folderName;
    if (!target) throw new KmsValidationError('folderId', 'pass folderId or folderName');
    return this.write(
      'DELETE',
      `/v1/folders/${pathSegment('folderId', target)}`,
      p,
      p.folderName,
      {},
      requestOptions,
    );
  }

  private async write(
    method: 'POST' | 'PATCH' | 'DELETE',
    path: string,
    p: { projectId: string; environment: string; path?: string | undefined },
    name: string | undefined,
    extra: Record<string, unknown>,
    requestOptions: RequestOptions | undefined,
  ): Promise<Folder> {
    const parent = p.path ?? '/';
    try {
      const { data } = await this.context.request<{ folder: Folder }>({
        operation: `folders.${VERBS[method]}`,
        expect: { folder: 'object' },
        method,
        path,
        body: { workspaceId: p.projectId, environment: p.environment, path: parent, ...extra },
        idempotent: false,
        requestOptions,
      });
      return data!.folder;
    } finally {
      // Without the name (update by id) the whole parent subtree may be affected.
      this.context.invalidate({
        project: `id:${p.projectId}`,
        environment: p.environment,
        secretPath: name ? childPath(parent, name) : parent,
      });
    }
  }
}
