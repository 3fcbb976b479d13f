/**
 * Serves the OpenAPI document. Read-only; the document itself is openapi/document.ts.
 */
import { type Request, type Response, Router } from 'express';
import { OPENAPI_DOCUMENT_PATH } from './document.js';
import { routeDocs } from './route-doc.js';

/**
 * `GET /api/docs/json`: the OpenAPI 3.1 document, built once on first request from `build`
 * (the catalogue is static, so every request gets the same bytes).
 */
export function openApiRouter(build: () => object): Router {
  const router = Router();
  let json: string | undefined;
  router.get(OPENAPI_DOCUMENT_PATH, (_req: Request, res: Response) => {
    json ??= JSON.stringify(build());
    res.type('application/json').send(json);
  });
  return router;
}

/** The route above, as the OpenAPI document describes it. */
export const openApiRouteDocs = routeDocs('Documentation', [
  {
    method: 'get',
    path: OPENAPI_DOCUMENT_PATH,
    summary: 'This OpenAPI 3.1 document, generated from the zod schemas the routes validate with',
    auth: false,
  },
]);
