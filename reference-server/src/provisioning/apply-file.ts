/**
 * The file `kms-server apply` reads (YAML or JSON): what a server should hold. Documented with an
 * example in reference-server/README.md ("Provisioning with apply").
 */
import { closestName } from '@hanzo/kms/internal';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { jwtAuthConfigSchema, oidcAuthConfigSchema } from '../auth/external-jwt-auth-router.js';
import { universalAuthConfigSchema } from '../auth/universal-auth-router.js';
import { folderNameSchema, secretKeySchema, tagSlugSchema } from '../domains/secrets/schemas.js';
import { bootstrapPasswordProblem } from '../domains/admin/bootstrap-password.js';
import { environmentSlugSchema, slugSchema } from '../shared/schemas.js';

/** A value written in the file, or read from an environment variable when apply runs. */
const valueSource = z.union([
  z.string(),
  z.strictObject({
    fromEnv: z
      .string()
      .trim()
      .min(1)
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'not a variable name'),
  }),
]);

const envSlug = environmentSlugSchema;

/** A folder path: `/`, or `/` followed by folder names. */
const secretPath = z
  .string()
  .trim()
  .default('/')
  .superRefine((path, ctx) => {
    if (!path.startsWith('/')) ctx.addIssue({ code: 'custom', message: 'a path starts with /' });
    for (const part of path.split('/').filter(Boolean)) {
      const checked = folderNameSchema.safeParse(part);
      if (!checked.success)
        ctx.addIssue({ code: 'custom', message: `folder "${part}": ${checked.error.issues[0]?.message}` });
    }
  })
  .transform((path) => `/${path.split('/').filter(Boolean).join('/')}`);

const secretEntry = z.union([
  valueSource,
  z.strictObject({
    value: valueSource,
    comment: z.string().max(10_000).optional(),
    tags: z.array(tagSlugSchema).max(100).optional(),
  }),
]);

/** A secret rotation of a project (upstream's `postgres-credentials`, docs/rotation.md). */
const secretRotationSchema = z.strictObject({
  name: slugSchema(1, 64),
  type: z.literal('postgres-credentials').default('postgres-credentials'),
  /** The name of an app connection (in `appConnections` or already on the server). */
  connection: slugSchema(1, 32),
  environment: envSlug,
  path: secretPath,
  description: z.string().trim().max(256).optional(),
  /** Days between rotations. */
  rotationInterval: z.number().int().min(1),
  rotateAtUtc: z
    .strictObject({ hours: z.number().int().min(0).max(23), minutes: z.number().int().min(0).max(59) })
    .optional(),
  isAutoRotationEnabled: z.boolean().optional(),
  parameters: z.strictObject({ username1: z.string().trim().min(1), username2: z.string().trim().min(1) }),
  secretsMapping: z.strictObject({ username: secretKeySchema, password: secretKeySchema }),
});

/** An organization's app connection; the password is best read from the environment (`fromEnv`). */
const appConnectionSchema = z.strictObject({
  name: slugSchema(1, 32),
  app: z.literal('postgres').default('postgres'),
  description: z.string().trim().max(256).optional(),
  credentials: z.strictObject({
    host: z.string().trim().min(1),
    port: z.number().int().min(1).max(65535).default(5432),
    database: z.string().trim().min(1),
    username: z.string().trim().min(1),
    password: valueSource,
    sslEnabled: z.boolean().default(false),
    sslRejectUnauthorized: z.boolean().default(true),
    sslCertificate: z.string().optional(),
  }),
});

const projectSchema = z.strictObject({
  // The API's rule for a new project's slug, so a bad one is reported before anything changes.
  slug: slugSchema(3, 36),
  name: z.string().trim().min(1).max(64).optional(),
  description: z.string().max(256).optional(),
  /** Environments the project must have (created if missing; others are left alone). */
  environments: z
    .array(z.union([envSlug, z.strictObject({ slug: envSlug, name: z.string().trim().min(1).max(64) })]))
    .max(50)
    .optional(),
  tags: z
    .array(z.strictObject({ slug: tagSlugSchema, color: z.string().trim().min(1).max(64).optional() }))
    .optional(),
  folders: z.array(z.strictObject({ environment: envSlug, path: secretPath })).optional(),
  secrets: z
    .array(
      z.strictObject({
        environment: envSlug,
        path: secretPath,
        values: z.record(secretKeySchema, secretEntry),
      }),
    )
    .optional(),
  imports: z
    .array(
      z.strictObject({
        environment: envSlug,
        path: secretPath,
        from: z.strictObject({ environment: envSlug, path: secretPath }),
      }),
    )
    .optional(),
  /** Secret rotations; their mapped secrets are the rotation's, not listed under `secrets`. */
  secretRotations: z.array(secretRotationSchema).optional(),
});

/**
 * An auth method's settings: checked with the API's own schema, but kept as written, because the API
 * parses them itself (a trusted-IP range `10.0.0.0/8` is stored as address, type and prefix).
 */
const authSettings = (schema: z.ZodType) =>
  z
    .record(z.string(), z.unknown())
    .superRefine((value, ctx) => {
      const checked = schema.safeParse(value);
      if (!checked.success)
        for (const issue of checked.error.issues)
          ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
    })
    .optional();

const identitySchema = z.strictObject({
  name: z.string().trim().min(1).max(64),
  /** The identity's organization role. @default no-access */
  orgRole: z.string().trim().min(1).default('no-access'),
  universalAuth: authSettings(universalAuthConfigSchema),
  oidcAuth: authSettings(oidcAuthConfigSchema),
  jwtAuth: authSettings(jwtAuthConfigSchema),
  /** Project memberships: one role each (`viewer`, `member`, `admin`, `no-access`). */
  projects: z
    .array(z.strictObject({ project: z.string().trim().min(1), role: z.string().trim().min(1) }))
    .optional(),
  /**
   * Universal Auth client secrets that must exist, by description: a missing one is created and
   * printed once; existing ones are never printed (the server cannot show them again). Listing them
   * replaces the default secret a first attach creates.
   */
  clientSecrets: z.array(z.strictObject({ description: z.string().trim().min(1).max(256) })).optional(),
  /** Descriptions of client secrets to revoke (each active secret with one of them; their tokens too). */
  revokeClientSecrets: z.array(z.string().trim().min(1).max(256)).optional(),
});

export const applyFileSchema = z.strictObject({
  /** Used only when the server is not bootstrapped yet (a fresh `kms-server start`). */
  bootstrap: z
    .strictObject({
      email: z.string().trim().email(),
      password: valueSource,
      organization: z.string().trim().min(1).max(64),
    })
    .optional(),
  /** Organization app connections (secret rotations name them). */
  appConnections: z.array(appConnectionSchema).default([]),
  projects: z.array(projectSchema).default([]),
  identities: z.array(identitySchema).default([]),
});

export type ApplyFile = z.infer<typeof applyFileSchema>;
export type ProjectSpec = z.infer<typeof projectSchema>;
export type IdentitySpec = z.infer<typeof identitySchema>;
export type AppConnectionSpec = z.infer<typeof appConnectionSchema>;
export type SecretRotationSpec = z.infer<typeof secretRotationSchema>;
export type ValueSource = z.infer<typeof valueSource>;

/** Projects get these environments from the API when created without a list. */
export const DEFAULT_ENVIRONMENTS = ['dev', 'staging', 'prod'];

/** One problem in the file, with where it is (`projects[0].secrets[1].environment`). */
export interface FileProblem {
  path: string;
  message: string;
}

const pathOf = (path: PropertyKey[]) =>
  path.reduce<string>(
    (out, part) =>
      typeof part === 'number' ? `${out}[${part}]` : out ? `${out}.${String(part)}` : String(part),
    '',
  );

/** The bootstrap password the file gives, written in it or read from its variable; undefined when unset. */
export function bootstrapPassword(source: ValueSource, env: EnvLookup): string | undefined {
  return typeof source === 'string' ? source : env(source.fromEnv);
}

/** Reads an environment variable a `fromEnv` names; undefined when unset. */
export type EnvLookup = (name: string) => string | undefined;

/**
 * Parses and checks the whole file, collecting every problem: syntax, schema, references between
 * its parts (an environment a project does not list, an unknown tag, a duplicate), and `fromEnv`
 * variables that are not set.
 */
export function readApplyFile(
  text: string,
  fileName: string,
  env: EnvLookup,
  /** False when an admin token is given: the bootstrap section is then not used, nor its password read. */
  checkBootstrap = true,
): { file: ApplyFile; problems: [] } | { file?: undefined; problems: FileProblem[] } {
  let raw: unknown;
  try {
    raw = /\.json$/i.test(fileName) ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    return {
      problems: [
        {
          path: '(file)',
          message: `not valid ${/\.json$/i.test(fileName) ? 'JSON' : 'YAML'}: ${(error as Error).message.split('\n')[0]}`,
        },
      ],
    };
  }
  const parsed = applyFileSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    return {
      problems: parsed.error.issues.map((issue) => {
        const unknownKeys = issue.code === 'unrecognized_keys' ? (issue as { keys: string[] }).keys : [];
        const hints = unknownKeys.map((k) => {
          const shape = knownKeysAt(issue.path);
          const near = shape && closestName(k, shape);
          return near ? `"${k}" (did you mean "${near}"?)` : `"${k}"`;
        });
        return {
          path: pathOf(issue.path) || '(top level)',
          message: unknownKeys.length
            ? `unknown key${unknownKeys.length > 1 ? 's' : ''} ${hints.join(', ')}`
            : issue.message,
        };
      }),
    };
  }
  const file = parsed.data;
  const problems: FileProblem[] = [];
  const add = (path: PropertyKey[], message: string) => problems.push({ path: pathOf(path), message });
  const fromEnv = (source: ValueSource, path: PropertyKey[]) => {
    if (typeof source !== 'string' && env(source.fromEnv) === undefined)
      add(path, `environment variable ${source.fromEnv} is not set`);
  };
  if (file.bootstrap && checkBootstrap) {
    const password = bootstrapPassword(file.bootstrap.password, env);
    if (password === undefined) fromEnv(file.bootstrap.password, ['bootstrap', 'password']);
    else {
      const problem = bootstrapPasswordProblem(password);
      if (problem) add(['bootstrap', 'password'], problem);
    }
  }
  const connections = new Set<string>();
  file.appConnections.forEach((c, i) => {
    if (connections.has(c.name))
      add(['appConnections', i, 'name'], `app connection ${c.name} is listed twice`);
    connections.add(c.name);
    fromEnv(c.credentials.password, ['appConnections', i, 'credentials', 'password']);
  });

  const projectSlugs = new Set<string>();
  file.projects.forEach((p, i) => {
    const at = (...rest: PropertyKey[]) => ['projects', i, ...rest];
    if (projectSlugs.has(p.slug)) add(at('slug'), `project ${p.slug} is listed twice`);
    projectSlugs.add(p.slug);
    const envs = p.environments?.map((e) => (typeof e === 'string' ? e : e.slug)) ?? DEFAULT_ENVIRONMENTS;
    const checkEnv = (slug: string, path: PropertyKey[]) => {
      if (envs.includes(slug)) return;
      const near = closestName(slug, envs);
      add(
        path,
        `environment ${slug} is not one of the project's (${envs.join(', ')})${near ? `; did you mean ${near}?` : ''}`,
      );
    };
    const tags = new Set(p.tags?.map((t) => t.slug));
    p.folders?.forEach((f, j) => {
      checkEnv(f.environment, at('folders', j, 'environment'));
    });
    const seen = new Set<string>();
    p.secrets?.forEach((s, j) => {
      checkEnv(s.environment, at('secrets', j, 'environment'));
      const where = `${s.environment}:${s.path}`;
      if (seen.has(where)) add(at('secrets', j), `${where} is listed twice; put its values in one entry`);
      seen.add(where);
      for (const [key, entry] of Object.entries(s.values)) {
        const source = typeof entry === 'object' && 'value' in entry ? entry.value : entry;
        fromEnv(source, at('secrets', j, 'values', key));
        if (typeof entry === 'object' && 'value' in entry)
          for (const tag of entry.tags ?? [])
            if (!tags.has(tag))
              add(at('secrets', j, 'values', key, 'tags'), `tag ${tag} is not in the project's tags`);
      }
    });
    p.imports?.forEach((imp, j) => {
      checkEnv(imp.environment, at('imports', j, 'environment'));
      checkEnv(imp.from.environment, at('imports', j, 'from', 'environment'));
    });
    const rotationNames = new Set<string>();
    p.secretRotations?.forEach((r, j) => {
      checkEnv(r.environment, at('secretRotations', j, 'environment'));
      const where = `${r.environment}:${r.path}`;
      if (rotationNames.has(`${where}:${r.name}`))
        add(at('secretRotations', j, 'name'), `rotation ${r.name} is listed twice at ${where}`);
      rotationNames.add(`${where}:${r.name}`);
      const listed = p.secrets?.find((s) => s.environment === r.environment && s.path === r.path);
      for (const key of Object.values(r.secretsMapping))
        if (listed && key in listed.values)
          add(
            at('secretRotations', j, 'secretsMapping'),
            `${key} at ${where} is written by the rotation; remove it from secrets`,
          );
    });
  });
  const names = new Set<string>();
  file.identities.forEach((identity, i) => {
    if (names.has(identity.name)) add(['identities', i, 'name'], `identity ${identity.name} is listed twice`);
    const wanted = new Set((identity.clientSecrets ?? []).map((c) => c.description));
    (identity.revokeClientSecrets ?? []).forEach((description, j) => {
      if (wanted.has(description))
        add(
          ['identities', i, 'revokeClientSecrets', j],
          `client secret "${description}" is both wanted (clientSecrets) and revoked`,
        );
    });
    if ((identity.clientSecrets || identity.revokeClientSecrets) && !identity.universalAuth)
      add(['identities', i, 'clientSecrets'], 'client secrets need universalAuth on the identity');
    names.add(identity.name);
    const memberOf = new Set<string>();
    identity.projects?.forEach((m, j) => {
      if (memberOf.has(m.project))
        add(['identities', i, 'projects', j], `project ${m.project} is listed twice`);
      memberOf.add(m.project);
    });
  });
  return problems.length ? { problems } : { file, problems: [] };
}

/** The keys a strict object allows at a path of the file, for "did you mean" hints. */
function knownKeysAt(path: PropertyKey[]): string[] | undefined {
  const names = path.filter((p) => typeof p === 'string');
  const last = names[names.length - 1];
  const shapes: Record<string, string[]> = {
    '': ['bootstrap', 'appConnections', 'projects', 'identities'],
    appConnections: Object.keys(appConnectionSchema.shape),
    credentials: Object.keys(appConnectionSchema.shape.credentials.shape),
    secretRotations: Object.keys(secretRotationSchema.shape),
    bootstrap: ['email', 'password', 'organization'],
    projects: Object.keys(projectSchema.shape),
    identities: Object.keys(identitySchema.shape),
    secrets: ['environment', 'path', 'values'],
    folders: ['environment', 'path'],
    imports: ['environment', 'path', 'from'],
    from: ['environment', 'path'],
    tags: ['slug', 'color'],
    clientSecrets: ['description'],
    environments: ['slug', 'name'],
    universalAuth: Object.keys(universalAuthConfigSchema.shape ?? {}),
    oidcAuth: Object.keys(oidcAuthConfigSchema.shape ?? {}),
    jwtAuth: Object.keys(jwtAuthConfigSchema.shape ?? {}),
  };
  return shapes[last ?? ''];
}
