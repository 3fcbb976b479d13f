/**
 * How the family names the folder it reads, in every message and log line: one place, so the words
 * never drift between `kms`, the boot, the session and the adapters.
 *
 * @module
 */

/** The project a config reads, for messages: the slug or the id. */
export function projectLabel(config: {
  projectId?: string | undefined;
  projectSlug?: string | undefined;
}): string {
  return config.projectSlug ?? config.projectId ?? '?';
}

/**
 * `project <slug>, environment <env>, path <path>`, value-free. Takes a resolved config or anything
 * that already has the project's label in `project`.
 */
export function locationLabel(
  where:
    | { project: string; environment: string; secretPath: string }
    | {
        projectId?: string | undefined;
        projectSlug?: string | undefined;
        environment: string;
        secretPath: string;
      },
): string {
  const project = 'project' in where ? where.project : projectLabel(where);
  return `project ${project}, environment ${where.environment}, path ${where.secretPath}`;
}

/** `<project>/<environment>:<path>`, the short form the `kms` CLI prints (`api/prod:/billing`). */
export function shortLocation(config: {
  projectId?: string | undefined;
  projectSlug?: string | undefined;
  environment: string;
  secretPath: string;
}): string {
  return `${projectLabel(config)}/${config.environment}:${config.secretPath}`;
}
