// A stand-in for a database pool: it only remembers where it would connect. A real service would
// create a pg/mysql pool here and drain the old one on rotation.

/** @param {string} url */
export function createPool(url) {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    database: parsed.pathname.replace(/^\//, ''),
    user: decodeURIComponent(parsed.username),
    async end() {},
  };
}
