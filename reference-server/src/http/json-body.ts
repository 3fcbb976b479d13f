/**
 * The JSON body parser: the size limit (after decompression) and the accepted content codings. No
 * route logic.
 */
import express, { type RequestHandler } from 'express';
import { ApiError, unsupportedMediaType } from './errors.js';

/** The content codings a request body may use: what body-parser decodes and is documented. */
export const ACCEPTED_BODY_ENCODINGS = ['identity', 'gzip', 'deflate', 'br'] as const;

/**
 * The JSON body parser, with compressed bodies answered as client errors: a body that is not JSON is a
 * 415 before anything is read (so no handler sees it), as is a coding the server does not accept, and
 * a body that does not decompress (corrupt or truncated gzip, deflate or br) is a 400, never a 500
 * (body-parser passes zlib's errors on untyped). The size limit applies to the decompressed body.
 * docs/reference/api.md lists the answers.
 *
 * A request with none of Content-Length, Transfer-Encoding and Content-Encoding (a GET, mostly) has
 * nothing to check or read: it gets `req.body = undefined`, as body-parser would give it, at the cost
 * of three header lookups.
 */
export function jsonBody(limit: number): RequestHandler {
  const parse = express.json({ limit, strict: true });
  return (req, res, next) => {
    const headers = req.headers;
    if (
      headers['content-length'] === undefined &&
      headers['transfer-encoding'] === undefined &&
      headers['content-encoding'] === undefined
    ) {
      if (!Object.hasOwn(req, 'body')) req.body = undefined;
      return next();
    }
    const hasBody = Number(headers['content-length'] ?? 0) > 0 || headers['transfer-encoding'] !== undefined;
    if (hasBody && !req.is('application/json')) {
      return next(unsupportedMediaType('Request bodies must be JSON (Content-Type: application/json)'));
    }
    const coding = (req.get('content-encoding') ?? 'identity').trim().toLowerCase();
    if (!(ACCEPTED_BODY_ENCODINGS as readonly string[]).includes(coding))
      return next(
        unsupportedMediaType(
          `Content-Encoding ${coding.slice(0, 40)} is not accepted; use ${ACCEPTED_BODY_ENCODINGS.join(', ')}`,
        ),
      );
    parse(req, res, (error?: unknown) => {
      if (error && typeof error === 'object' && !('type' in error) && coding !== 'identity')
        return next(
          new ApiError(
            400,
            'BadRequest',
            `The request body could not be decompressed (Content-Encoding: ${coding})`,
          ),
        );
      next(error);
    });
  };
}
