// A small HTTP service over PostgreSQL whose credentials the KMS rotates. Start it with
//   node src/app.js
// and KMS_SITE_URL, KMS_PROJECT_SLUG, KMS_ENVIRONMENT, KMS_SECRET_PATH plus the credentials
// (KMS_CLIENT_ID / KMS_CLIENT_SECRET or the files in /etc/kms/auth). The folder holds DB_HOST,
// DB_PORT, DB_NAME and the DB_USER / DB_PASSWORD pair a KMS secret rotation writes.
import { createServer } from 'node:http';
import { createSecretsSession } from '@hanzo/kms-node';
import { DATABASE_KEYS, RotatingPool } from './database-pool.js';

const session = createSecretsSession({
  // How often to look for rotated credentials; well under the rotation interval.
  refreshInterval: Number(process.env.KMS_REFRESH_INTERVAL ?? 30_000),
});
await session.load();
const database = new RotatingPool(session.secrets);

session.onChange(async ({ keys, secrets }) => {
  if (!keys.some((key) => DATABASE_KEYS.includes(key))) return;
  await database.rebuild(secrets);
  // The user name only: never the password.
  console.log(`database pool rebuilt for user ${database.user}`);
});
session.start();

const server = createServer(async (req, res) => {
  if (req.url === '/query') {
    try {
      const { rows } = await database.current().query('SELECT current_user AS "user", now() AS at');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(rows[0]));
    } catch (error) {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: error instanceof Error ? error.message : 'query failed' }));
    }
    return;
  }
  res.writeHead(req.url === '/health' ? 200 : 404, { 'content-type': 'text/plain' });
  res.end(req.url === '/health' ? 'ok\n' : 'not found\n');
});

server.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : process.env.PORT;
  console.log(`listening on http://${process.env.HOST ?? '127.0.0.1'}:${port}`);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () =>
    server.close(async () => {
      await session.close();
      await database.end();
      process.exit(0);
    }),
  );
}
