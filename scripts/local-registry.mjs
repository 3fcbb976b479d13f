#!/usr/bin/env node
// A loopback npm registry for the packed @hanzo/* tarballs, until the packages are published
// (README.md, "Installing before the first release"). pnpm does not resolve one local tarball's
// dependency on another (kms-testing -> kms-server -> kms asks the registry for @hanzo/kms-server@0.1.0),
// so instead of `file:` tarballs a project points the @hanzo scope here and installs by name, exactly as
// it will from npm; every other package still comes from its usual registry.
//   node scripts/local-registry.mjs <dir with the .tgz files> [--port 4873]
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

/** package/package.json from a gzipped npm tarball (ustar: 512-byte headers, size in octal). */
function manifestOf(tgz) {
  const tar = gunzipSync(tgz);
  for (let at = 0; at + 512 <= tar.length; ) {
    const name = tar.toString('utf8', at, at + 100).replace(/\0.*$/s, '');
    if (!name) break;
    const size = Number.parseInt(
      tar
        .toString('utf8', at + 124, at + 136)
        .replace(/\0.*$/s, '')
        .trim(),
      8,
    );
    if (name === 'package/package.json') return JSON.parse(tar.toString('utf8', at + 512, at + 512 + size));
    at += 512 + Math.ceil(size / 512) * 512;
  }
  throw new Error('no package/package.json in the tarball');
}

/**
 * Serves every `*.tgz` in `dir` as a registry would: `GET /<name>` answers the package document,
 * `GET /<name>/-/<file>.tgz` the tarball; anything else is a 404 with npm's error body.
 */
export async function startLocalRegistry(dir, { port = 0, host = '127.0.0.1' } = {}) {
  const packages = new Map();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.tgz'))) {
    const bytes = readFileSync(join(dir, file));
    const manifest = manifestOf(bytes);
    const integrity = `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
    const shasum = createHash('sha1').update(bytes).digest('hex');
    const entry = packages.get(manifest.name) ?? { versions: {}, tarballs: new Map() };
    entry.versions[manifest.version] = { manifest, integrity, shasum, file };
    entry.tarballs.set(file, bytes);
    packages.set(manifest.name, entry);
  }
  if (packages.size === 0) throw new Error(`no .tgz files in ${dir}`);
  let base = '';
  const server = createServer((req, res) => {
    const send = (status, type, body) => {
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    let path;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).slice(1);
    } catch {
      return send(
        400,
        'application/json',
        JSON.stringify({ error: 'the path is not valid percent-encoding' }),
      );
    }
    const [name, file] = path.split('/-/');
    const entry = packages.get(name ?? '');
    if (entry && file && entry.tarballs.has(file))
      return send(200, 'application/octet-stream', entry.tarballs.get(file));
    if (entry && !file) {
      const versions = Object.fromEntries(
        Object.entries(entry.versions).map(([v, { manifest, integrity, shasum, file: f }]) => [
          v,
          { ...manifest, _id: `${name}@${v}`, dist: { integrity, shasum, tarball: `${base}${name}/-/${f}` } },
        ]),
      );
      const latest = Object.keys(versions).sort().pop();
      return send(200, 'application/json', JSON.stringify({ name, 'dist-tags': { latest }, versions }));
    }
    send(404, 'application/json', JSON.stringify({ error: `${name || path} is not in ${dir}` }));
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, ok);
  });
  base = `http://${host}:${server.address().port}/`;
  return {
    url: base,
    names: [...packages.keys()].sort(),
    close: () => new Promise((ok) => server.close(() => ok())),
  };
}

if (resolve(process.argv[1] ?? '') === fileURLToPath(import.meta.url)) {
  const [dir, flag, value] = process.argv.slice(2);
  const port = Number(value ?? 4873);
  if (!dir || (flag && flag !== '--port') || !Number.isInteger(port) || port < 0 || port > 65535) {
    console.error('usage: node scripts/local-registry.mjs <dir with the .tgz files> [--port 4873]');
    process.exit(2);
  }
  const registry = await startLocalRegistry(dir, { port });
  console.log(`local registry for ${registry.names.join(', ')} at ${registry.url} (Ctrl-C stops it)`);
  const stop = () => registry.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
