/**
 * The one error handler: ApiErrors become the API's error body, body-parser failures their 4xx,
 * anything else a 500 whose details go only to the log.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { AuditChainError } from '../store/audit-chain.js';
import { StoreInputError, StoreUnavailableError, TokenUseRefusedError } from '../store/contract.js';
import { OPENAPI_DOCUMENT_PATH } from '../openapi/document.js';
import { ApiError, ValidationError } from './errors.js';

interface BodyParserError {
  type?: string;
  status?: number;
  statusCode?: number;
}

/** Maps body-parser failures to the API's 4xx errors. */
function fromBodyParser(error: BodyParserError): ApiError | undefined {
  switch (error.type) {
    case 'entity.parse.failed':
      return new ApiError(400, 'BadRequest', 'Malformed JSON in request body');
    case 'entity.too.large':
      return new ApiError(413, 'PayloadTooLarge', 'Request body is larger than the server accepts');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new ApiError(415, 'UnsupportedMediaType', 'Unsupported body encoding or charset');
    case 'request.aborted':
      return new ApiError(400, 'BadRequest', 'Request aborted');
    default:
      return undefined;
  }
}

/**
 * Unknown routes: upstream's body (api-contract §12): the method and the path without its query,
 * and a pointer to the OpenAPI document in the message and in `docs`.
 */
export const notFoundRoute: RequestHandler = (req, _res, next) => {
  next(
    new ApiError(
      404,
      'Not Found',
      `Route ${req.method}:${req.path} not found. The OpenAPI spec listing all available routes is at GET ${OPENAPI_DOCUMENT_PATH}.`,
      { envelopeFields: { docs: OPENAPI_DOCUMENT_PATH } },
    ),
  );
};

/**
 * The one place errors become responses: `{ reqId, statusCode, message, error, details? }`.
 * Anything unexpected is a 500 with a fixed message; its details go only to the log,
 * which redacts credentials and values.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const error: ApiError =
      err instanceof ApiError
        ? err
        : err instanceof URIError
          ? // Express fails to decode a path parameter such as `%ZZ`.
            new ApiError(400, 'BadRequest', 'Malformed percent-encoding in the request path')
          : err instanceof StoreInputError
            ? new ApiError(400, 'BadRequest', `Invalid input: ${err.message}`)
            : err instanceof TokenUseRefusedError
              ? // The token was revoked while the request ran (auth/require-auth.ts).
                new ApiError(401, 'UnauthorizedError', 'No identity access token found')
              : err instanceof StoreUnavailableError
                ? new ApiError(503, 'ServiceUnavailable', 'The database is unavailable; retry shortly', {
                    headers: { 'retry-after': '1' },
                  })
                : err instanceof AuditChainError
                  ? new ApiError(
                      503,
                      'AuditLogUnavailable',
                      'The audit log failed its integrity check; audited operations are refused until an operator runs `kms-server audit verify`',
                    )
                  : (fromBodyParser(err as BodyParserError) ??
                    new ApiError(500, 'InternalServerError', 'Something went wrong'));
    if (error.statusCode >= 500) {
      // The 503 of an unreachable database is logged too: operators must see it.
      logger.error(
        {
          reqId: req.reqId,
          err: { name: (err as Error)?.name, message: (err as Error)?.message, stack: (err as Error)?.stack },
        },
        'unhandled error',
      );
    }
    if (res.headersSent) return;
    res.set(error.headers);
    const body: Record<string, unknown> = {
      reqId: req.reqId,
      statusCode: error.statusCode,
      message: error instanceof ValidationError ? error.issues : error.message,
      error: error.name,
      ...error.envelopeFields,
    };
    if (error.details !== undefined && error.statusCode !== 401) body.details = error.details;
    res.status(error.statusCode).json(body);
  };
}
