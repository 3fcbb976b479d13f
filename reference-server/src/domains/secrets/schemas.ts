/**
 * The zod schemas of the secrets routes (bodies and queries). Validation only; error messages never
 * repeat an input value.
 */
import { z } from 'zod';
import { withFastPath } from '../../http/validate.js';
import { FOLDER_NAME_PATTERN, secretPathSchema } from './paths.js';
import {
  fastGetSecretQuery,
  fastListSecretsQuery,
  fastSecretNameParams,
  MAX_SECRET_KEY_LENGTH,
} from './query-fast-paths.js';

export { MAX_SECRET_KEY_LENGTH };
/** Largest secret value accepted, in characters (64 KiB). */
export const MAX_SECRET_VALUE_LENGTH = 64 * 1024;
/** Largest comment accepted, in characters. */
export const MAX_SECRET_COMMENT_LENGTH = 10_000;

/** v3/v4 secrets flags: only the literal strings `"true"` / `"false"`. */
const booleanFlag = (fallback: boolean) =>
  z
    .enum(['true', 'false'], { message: 'Expected "true" or "false"' })
    .optional()
    .transform((v) => (v === undefined ? fallback : v === 'true'));

/** Folder-list flag: any non-empty string that is not `0`/`false` is true. */
const lenientBoolean = z
  .union([z.string(), z.boolean()])
  .optional()
  .transform((v) =>
    typeof v === 'boolean' ? v : v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false',
  );

/** kms-go always sends both project parameters, one of them empty. */
const optionalRef = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v ? v : undefined));

const environmentSlug = z.string().trim().min(1, 'Environment is required').max(64);

/** Upstream's `SecretNameSchema`, with a length cap. */
export const secretKeySchema = z
  .string()
  .trim()
  .min(1, 'Secret name cannot be empty')
  .max(MAX_SECRET_KEY_LENGTH, `Secret name must be at most ${MAX_SECRET_KEY_LENGTH} characters`)
  .refine((v) => !v.includes(':') && !v.includes('/'), 'Secret name cannot contain colon or forward slash.');

/** Trim, but keep one trailing newline if the value had one (upstream's transform). */
export const normalizeSecretValue = (value: string) =>
  value.endsWith('\n') ? `${value.trim()}\n` : value.trim();

export const secretValueSchema = z
  .string()
  .max(MAX_SECRET_VALUE_LENGTH, `Secret value must be at most ${MAX_SECRET_VALUE_LENGTH} characters`)
  .transform(normalizeSecretValue);

const secretCommentSchema = z
  .string()
  .max(MAX_SECRET_COMMENT_LENGTH, `Secret comment must be at most ${MAX_SECRET_COMMENT_LENGTH} characters`);

const secretMetadataSchema = z
  .array(
    z.object({
      key: z.string().trim().min(1).max(255),
      value: z.string().max(1020).default(''),
      isEncrypted: z.boolean().default(false),
    }),
  )
  .max(100);

const tagIdsSchema = z.array(z.string().trim().min(1).max(64)).max(100);
const secretType = z.enum(['shared', 'personal']).default('shared');
const reminderNote = z
  .string()
  .max(1024, 'Secret reminder note cannot exceed 1024 characters')
  .nullable()
  .optional();
const reminderRepeatDays = z.number().int().min(0).max(3650).nullable().optional();

/** `key=K,value=V` pairs joined by `|`, at most 10, each with both parts. */
const metadataFilterSchema = z
  .string()
  .optional()
  .transform((raw, ctx) => {
    if (!raw) return [];
    const pairs = raw.split('|').map((pair) => {
      const fields = new Map(
        pair.split(',').map((part) => {
          const at = part.indexOf('=');
          return [part.slice(0, at).trim(), part.slice(at + 1).trim()] as const;
        }),
      );
      return { key: fields.get('key') ?? '', value: fields.get('value') ?? '' };
    });
    // Upstream's words (v3 deprecated-secret-router.ts, GET /raw); upstream drops a pair missing
    // a part, here it is refused so that a typo never widens the answer (D21).
    if (pairs.length > 10) {
      ctx.addIssue({ code: 'custom', message: 'You can only filter by up to 10 metadata fields' });
      return z.NEVER;
    }
    if (pairs.some((p) => !p.key || !p.value)) {
      ctx.addIssue({
        code: 'custom',
        message:
          'Invalid secretMetadata format, key or value must be provided. Correct format is key=value1,value=value2|key=value3,value=value4.',
      });
      return z.NEVER;
    }
    return pairs;
  });

// The hot reads' query and parameters are parsed by hand when plain (query-fast-paths.ts).
export const listSecretsQuery = withFastPath(
  z.object({
    workspaceId: optionalRef,
    workspaceSlug: optionalRef,
    environment: z.string().trim().optional(),
    secretPath: secretPathSchema.default('/'),
    viewSecretValue: booleanFlag(true),
    expandSecretReferences: booleanFlag(false),
    recursive: booleanFlag(false),
    include_imports: booleanFlag(false),
    tagSlugs: z
      .string()
      .optional()
      .transform((v) =>
        v
          ? v
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean)
          : [],
      ),
    metadataFilter: metadataFilterSchema,
  }),
  fastListSecretsQuery,
);

export const secretNameParams = withFastPath(z.object({ secretName: secretKeySchema }), fastSecretNameParams);

export const getSecretQuery = withFastPath(
  z.object({
    workspaceId: optionalRef,
    workspaceSlug: optionalRef,
    environment: z.string().trim().optional(),
    secretPath: secretPathSchema.default('/'),
    type: secretType,
    version: z
      .string()
      .regex(/^\d{1,9}$/, 'version must be a positive integer')
      .transform(Number)
      .refine((n) => n >= 1, 'version must be a positive integer')
      .optional(),
    viewSecretValue: booleanFlag(true),
    expandSecretReferences: booleanFlag(false),
    include_imports: booleanFlag(false),
  }),
  fastGetSecretQuery,
);

const projectRefBody = { workspaceId: optionalRef, projectSlug: optionalRef };

export const createSecretBody = z.object({
  ...projectRefBody,
  environment: environmentSlug,
  secretPath: secretPathSchema.default('/'),
  secretValue: secretValueSchema.default(''),
  secretComment: secretCommentSchema.default(''),
  secretMetadata: secretMetadataSchema.optional(),
  tagIds: tagIdsSchema.optional(),
  skipMultilineEncoding: z.boolean().nullable().optional(),
  type: secretType,
  secretReminderRepeatDays: reminderRepeatDays,
  secretReminderNote: reminderNote,
});

/** `newSecretName: ""` passes validation so the service can answer upstream's 400. */
const newSecretNameSchema = z
  .string()
  .trim()
  .max(MAX_SECRET_KEY_LENGTH, `Secret name must be at most ${MAX_SECRET_KEY_LENGTH} characters`)
  .refine((v) => !v.includes(':') && !v.includes('/'), 'Secret name cannot contain colon or forward slash.');

export const updateSecretBody = z.object({
  ...projectRefBody,
  environment: environmentSlug,
  secretPath: secretPathSchema.default('/'),
  secretValue: secretValueSchema.optional(),
  secretComment: secretCommentSchema.optional(),
  secretMetadata: secretMetadataSchema.optional(),
  tagIds: tagIdsSchema.optional(),
  skipMultilineEncoding: z.boolean().nullable().optional(),
  type: secretType,
  newSecretName: newSecretNameSchema.optional(),
  secretReminderRepeatDays: reminderRepeatDays,
  secretReminderNote: reminderNote,
});

export const deleteSecretBody = z.object({
  ...projectRefBody,
  environment: environmentSlug,
  secretPath: secretPathSchema.default('/'),
  type: secretType,
});

export const batchCreateBody = z.object({
  ...projectRefBody,
  environment: environmentSlug,
  secretPath: secretPathSchema.default('/'),
  secrets: z
    .array(
      z.object({
        secretKey: secretKeySchema,
        secretValue: secretValueSchema,
        secretComment: secretCommentSchema.default(''),
        skipMultilineEncoding: z.boolean().nullable().optional(),
        secretMetadata: secretMetadataSchema.optional(),
        tagIds: tagIdsSchema.optional(),
        secretReminderNote: reminderNote,
        secretReminderRepeatDays: reminderRepeatDays,
      }),
    )
    .min(1),
});

export const batchUpdateBody = z.object({
  ...projectRefBody,
  environment: environmentSlug,
  secretPath: secretPathSchema.default('/'),
  mode: z.enum(['failOnNotFound', 'upsert', 'ignore']).default('failOnNotFound'),
  secrets: z
    .array(
      z.object({
        secretKey: secretKeySchema,
        secretValue: secretValueSchema.optional(),
        secretPath: secretPathSchema.optional(),
        secretComment: secretCommentSchema.optional(),
        skipMultilineEncoding: z.boolean().nullable().optional(),
        newSecretName: secretKeySchema.optional(),
        tagIds: tagIdsSchema.optional(),
        secretMetadata: secretMetadataSchema.optional(),
        secretReminderNote: reminderNote,
        secretReminderRepeatDays: reminderRepeatDays,
      }),
    )
    .min(1),
});

export const batchDeleteBody = z.object({
  ...projectRefBody,
  environment: environmentSlug,
  secretPath: secretPathSchema.default('/'),
  secrets: z.array(z.object({ secretKey: secretKeySchema, type: secretType })).min(1),
});

// ---- folders

export const folderNameSchema = z
  .string()
  .trim()
  .min(1, 'Folder name cannot be empty')
  .max(255, 'Folder name must be at most 255 characters')
  .regex(
    FOLDER_NAME_PATTERN,
    'Invalid folder name. Only alphanumeric characters, dashes, and underscores are allowed.',
  );

const folderLocation = {
  workspaceId: z.string().trim().min(1),
  environment: environmentSlug,
  path: secretPathSchema.optional(),
  directory: secretPathSchema.optional(),
};

export const listFoldersQuery = z.object({
  ...folderLocation,
  recursive: lenientBoolean,
  lastSecretModified: z.string().optional(),
});

export const folderIdParams = z.object({ folderId: z.string().trim().min(1) });
export const folderIdOrNameParams = z.object({ folderIdOrName: z.string().trim().min(1) });

export const createFolderBody = z.object({
  ...folderLocation,
  name: folderNameSchema,
  description: z.string().max(1024).nullable().optional(),
});

export const updateFolderBody = createFolderBody;

export const deleteFolderBody = z.object(folderLocation);

// ---- secret imports (v1 names the project `workspaceId`, v2 `projectId`)

export type ImportProjectKey = 'workspaceId' | 'projectId';

/** Secret-import schemas; the tree's own project key is required, the other one ignored. */
export function importSchemas(projectKey: ImportProjectKey) {
  const requireProject = (
    value: { workspaceId?: string | undefined; projectId?: string | undefined },
    ctx: z.RefinementCtx,
  ) => {
    if (!value[projectKey])
      ctx.addIssue({ code: 'custom', path: [projectKey], message: `${projectKey} is required` });
  };
  const location = {
    workspaceId: optionalRef,
    projectId: optionalRef,
    environment: environmentSlug,
    path: secretPathSchema.default('/'),
  };
  return {
    create: z
      .object({
        ...location,
        import: z.object({ environment: environmentSlug, path: secretPathSchema.default('/') }),
        isReplication: z.boolean().default(false),
      })
      .superRefine(requireProject),
    list: z.object(location).superRefine(requireProject),
    update: z
      .object({
        ...location,
        import: z.object({
          environment: environmentSlug.optional(),
          path: secretPathSchema.optional(),
          position: z.number().int().min(1).optional(),
        }),
      })
      .superRefine(requireProject),
    delete: z.object(location).superRefine(requireProject),
  };
}

export const importIdParams = z.object({ secretImportId: z.string().trim().min(1) });

// ---- tags

export const tagSlugSchema = z
  .string()
  .trim()
  .min(1, 'Slug field must be at least 1 lowercase characters')
  .max(64, 'Slug field must be at most 64 lowercase characters')
  .regex(
    /^[a-z0-9]+(?:[-_][a-z0-9]+)*$/,
    'Slug field can only contain lowercase letters, numbers, and hyphens',
  );

export const createTagBody = z.object({ slug: tagSlugSchema, color: z.string().trim().min(1).max(64) });
export const updateTagBody = createTagBody;
export const projectIdParams = z.object({ projectId: z.string().trim().min(1) });
export const tagIdParams = z.object({ projectId: z.string().trim().min(1), tagId: z.string().trim().min(1) });
export const tagSlugParams = z.object({
  projectId: z.string().trim().min(1),
  tagSlug: z.string().trim().min(1),
});

/** A non-negative integer query parameter (upstream coerces; here only digits are accepted). */
const pageNumber = (fallback: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,9}$/, 'must be a non-negative integer')
    .transform(Number)
    .refine((n) => n <= max, `must be at most ${max}`)
    .optional()
    .transform((n) => n ?? fallback);

export const secretIdParams = z.object({ secretId: z.string().uuid() });

/** `GET /api/v1/secret/:secretId/secret-versions` (upstream requires both; here they default). */
export const secretVersionsQuery = z.object({
  offset: pageNumber(0, 1_000_000),
  limit: pageNumber(20, 100).refine((n) => n >= 1, 'limit must be at least 1'),
});

export const secretRollbackBody = z.object({
  version: z.number().int().min(1),
});

export const snapshotProjectParams = z.object({ workspaceId: z.string().trim().min(1) });
export const snapshotIdParams = z.object({ secretSnapshotId: z.string().uuid() });

/** Upstream's snapshot queries: `environment` required, `path` default `/`. */
export const snapshotCountQuery = z.object({
  environment: z.string().trim().min(1),
  path: secretPathSchema.default('/'),
});

export const snapshotListQuery = snapshotCountQuery.extend({
  offset: pageNumber(0, 1_000_000),
  limit: pageNumber(20, 100).refine((n) => n >= 1, 'limit must be at least 1'),
});
