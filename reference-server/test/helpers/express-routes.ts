import type { Express } from 'express';

/** One route as Express registered it: `GET /api/v1/folders/:folderId`. */
export type RegisteredRoute = `${string} ${string}`;

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  rawPath?: string | RegExp | (string | RegExp)[];
  slash?: boolean;
}

/**
 * Every method and path the app answers, read from Express's router stack (router 2.x keeps each
 * layer's path as `rawPath`), nested routers and mount prefixes (`app.use('/api/v1/kms', …)`) included.
 * A RegExp mount (src/http/mount.ts) is a zero-width lookahead: it strips nothing from the path.
 */
export function registeredRoutes(app: Express): Set<RegisteredRoute> {
  const found = new Set<RegisteredRoute>();
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        for (const method of Object.keys(layer.route.methods)) {
          if (method === '_all') continue;
          for (const path of paths) found.add(`${method.toUpperCase()} ${prefix}${path}`);
        }
      } else if (layer.handle?.stack) {
        const mounts = Array.isArray(layer.rawPath) ? layer.rawPath : [layer.rawPath ?? '/'];
        for (const mount of mounts)
          walk(layer.handle.stack, mount === '/' || mount instanceof RegExp ? prefix : `${prefix}${mount}`);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return found;
}
