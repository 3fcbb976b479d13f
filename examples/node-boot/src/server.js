// A small HTTP service. Start it with
//   node --import @hanzo/kms-node/register src/server.js
// and KMS_SITE_URL, KMS_PROJECT_SLUG, KMS_ENVIRONMENT, KMS_SECRET_PATH plus the credentials
// (KMS_CLIENT_ID / KMS_CLIENT_SECRET or the files in /etc/kms/auth).
import { createServer } from 'node:http';
import { watchSecrets } from '@hanzo/kms-node';
import { config } from './config.js';
import { createPool } from './database.js';

let pool = createPool(config.DATABASE_URL);

// Rotate the pool in place when DATABASE_URL changes in KMS: no restart.
watchSecrets({
  refreshInterval: config.KMS_WATCH_INTERVAL,
  onChange: async ({ changed, values }) => {
    const next = values.DATABASE_URL;
    if (!changed.includes('DATABASE_URL') || next === undefined) return;
    const old = pool;
    pool = createPool(next);
    await old.end();
    console.log('database pool rotated');
  },
});

const server = createServer((req, res) => {
  if (req.url === '/db') {
    // Where the service connects, never the password.
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ host: pool.host, database: pool.database, user: pool.user }));
    return;
  }
  res.writeHead(req.url === '/health' ? 200 : 404, { 'content-type': 'text/plain' });
  res.end(req.url === '/health' ? 'ok\n' : 'not found\n');
});

server.listen(config.PORT, config.HOST, () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  console.log(`listening on http://${config.HOST}:${port}`);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
