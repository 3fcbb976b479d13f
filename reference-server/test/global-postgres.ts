import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from './helpers/postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The maintenance-database URL of the PostgreSQL server this test run started. */
    postgresAdminUrl: string;
  }
}

/** One real PostgreSQL server for the whole run; each test file or server makes its own database. */
export default async function setup(project: TestProject) {
  const postgres = await startEmbeddedPostgres();
  project.provide('postgresAdminUrl', postgres.adminUrl);
  return () => postgres.stop();
}
