/**
 * Node built-ins for the boot path, loaded with `process.getBuiltinModule` (Node 20.16+, 22.3+).
 * An ES module `import` of a built-in builds its module namespace, which evaluates the module's lazy
 * exports: `node:fs` pulls in `fs/promises`, `node:http` undici's WebSocket (~17 MB). The boot loads
 * only what it calls. (Node before 20.16 has no `getBuiltinModule`: the CommonJS build falls back to
 * `require`; the ES build needs 20.16, as package.json's `engines` says.)
 *
 * @module
 */
import type fs from 'node:fs';
import type http from 'node:http';
import type https from 'node:https';
import type path from 'node:path';
import type workerThreads from 'node:worker_threads';

interface Builtins {
  'node:fs': typeof fs;
  'node:path': typeof path;
  'node:http': typeof http;
  'node:https': typeof https;
  'node:worker_threads': typeof workerThreads;
}

type Loader = (id: string) => unknown;

function loader(): Loader {
  const getBuiltinModule = (process as { getBuiltinModule?: Loader }).getBuiltinModule;
  if (getBuiltinModule) return getBuiltinModule;
  if (typeof require === 'function') return require;
  throw new Error(`@hanzo/kms-node needs Node 20.16 or later (this is ${process.version})`);
}

/** A Node built-in, loaded on first use. */
export function builtin<K extends keyof Builtins>(id: K): Builtins[K] {
  return loader()(id) as Builtins[K];
}
