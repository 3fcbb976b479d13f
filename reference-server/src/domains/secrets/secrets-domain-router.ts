import { Router } from 'express';
import type { ServerContext } from '../../context.js';

/** Secrets, folders, secret imports and tags. */
export function secretsDomainRouter(_ctx: ServerContext): Router {
  return Router();
}
