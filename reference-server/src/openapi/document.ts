/**
 * Builds the OpenAPI 3.1 document of the API from the routes' own descriptions
 * (`src/openapi/route-doc.ts`): request schemas are the zod schemas the handlers parse with,
 * converted by zod 4 to JSON Schema 2020-12, the dialect OpenAPI 3.1 uses.
 */
import { z } from 'zod';
import { API_TAGS, type RouteDoc } from './route-doc.js';

/** A JSON Schema object as it appears in the document. */
type JsonSchema = Record<string, unknown>;

/** Where the document is served; the 404 of an unknown route points here. */
export const OPENAPI_DOCUMENT_PATH = '/api/docs/json';

/** The document's own version: changes when the wire contract does. */
const DOCUMENT_VERSION = '1.0.0';

const PARAM = /:([A-Za-z0-9_]+)/g;

/** `/api/v1/folders/:folderId` as OpenAPI writes it: `/api/v1/folders/{folderId}`. */
export function toOpenApiPath(expressPath: string): string {
  return expressPath.replace(PARAM, '{$1}');
}

/** The zod schema as JSON Schema of what a client sends (the input side of transforms and defaults). */
function jsonSchemaOf(schema: z.ZodType, where: string): JsonSchema {
  const { $schema: _dialect, ...converted } = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
    target: 'draft-2020-12',
  }) as JsonSchema;
  // A `$defs` reference would resolve against the document root, not the schema: keep them inline.
  if ('$defs' in converted) throw new Error(`${where}: the schema has $defs; inline its parts`);
  return converted;
}

interface ObjectSchema {
  properties: Record<string, JsonSchema>;
  required: string[];
}

function objectSchemaOf(schema: z.ZodType, where: string): ObjectSchema {
  const converted = jsonSchemaOf(schema, where);
  if (converted.type !== 'object' || typeof converted.properties !== 'object') {
    throw new Error(`${where}: parameters must be a z.object`);
  }
  return {
    properties: converted.properties as Record<string, JsonSchema>,
    required: (converted.required as string[] | undefined) ?? [],
  };
}

function parametersOf(doc: RouteDoc, path: string, where: string): JsonSchema[] {
  const names = [...path.matchAll(PARAM)].map((m) => m[1] as string);
  const params = doc.params ? objectSchemaOf(doc.params, `${where} params`) : undefined;
  const described = params ? Object.keys(params.properties) : names;
  const missing = names.filter((n) => !described.includes(n));
  const extra = described.filter((n) => !names.includes(n));
  if (missing.length || extra.length) {
    throw new Error(`${where}: params schema and path disagree (missing ${missing}, extra ${extra})`);
  }
  const pathParams = names.map((name) => ({
    name,
    in: 'path',
    required: true,
    schema: params?.properties[name] ?? { type: 'string' },
  }));
  const query = doc.query ? objectSchemaOf(doc.query, `${where} query`) : undefined;
  const queryParams = Object.entries(query?.properties ?? {}).map(([name, schema]) => ({
    name,
    in: 'query',
    required: query?.required.includes(name) ?? false,
    schema,
  }));
  return [...pathParams, ...queryParams];
}

function operationId(method: string, path: string): string {
  const words = path
    .split('/')
    .filter(Boolean)
    .map((part) => part.replace(/^:/, 'by-'))
    .join('-');
  return `${method}-${words}`.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) =>
    c ? c.toUpperCase() : '',
  );
}

const errorResponse = (description: string, schema = 'Error') => ({
  description,
  content: { 'application/json': { schema: { $ref: `#/components/schemas/${schema}` } } },
});

const components = {
  securitySchemes: {
    bearerAuth: {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description:
        'An access token from a login (Universal Auth, OIDC Auth, JWT Auth) or a Token Auth token. ' +
        'The scheme word must be `Bearer` and the token a JWT; anything else is 403 `TokenError`.',
    },
  },
  schemas: {
    Error: {
      type: 'object',
      description: 'The error envelope of every failure (docs/reference/api.md#conventions).',
      required: ['reqId', 'statusCode', 'message', 'error'],
      properties: {
        reqId: { type: 'string', description: 'Also sent as the `x-request-id` header.' },
        statusCode: { type: 'integer' },
        message: { type: 'string' },
        error: {
          type: 'string',
          description: 'The error name, e.g. `BadRequest`, `TokenError`, `NotFound`.',
        },
        details: { description: 'Extra facts on some errors, e.g. the rules a permission check used.' },
        docs: { type: 'string', description: 'On the 404 of an unknown route: where this document is.' },
      },
    },
    ValidationFailure: {
      type: 'object',
      description: 'A request that failed validation: 422 with the issues as `message`.',
      required: ['reqId', 'statusCode', 'message', 'error'],
      properties: {
        reqId: { type: 'string' },
        statusCode: { type: 'integer', const: 422 },
        error: { type: 'string', const: 'ValidationFailure' },
        message: {
          type: 'array',
          items: {
            type: 'object',
            required: ['code', 'message', 'path'],
            properties: {
              code: { type: 'string' },
              message: { type: 'string' },
              path: { type: 'array', items: { type: ['string', 'integer'] } },
            },
          },
        },
      },
    },
  },
  responses: {
    BadRequest: errorResponse('The request is invalid, or its body is not well-formed JSON.'),
    Unauthorized: errorResponse('No token, or a token that is revoked, expired past its max TTL or used up.'),
    Forbidden: errorResponse('A malformed or expired token (`TokenError`), or a role without the right.'),
    NotFound: errorResponse('What the request names does not exist (or is in another project).'),
    ValidationFailure: errorResponse('The parameters or the body failed validation.', 'ValidationFailure'),
    TooManyRequests: errorResponse(
      'Rate limit exceeded; `Retry-After` says when to come back (decision D10).',
    ),
    InternalServerError: errorResponse('Something went wrong; the details are only in the server log.'),
  },
};

const ERROR_RESPONSES = {
  '400': { $ref: '#/components/responses/BadRequest' },
  '401': { $ref: '#/components/responses/Unauthorized' },
  '403': { $ref: '#/components/responses/Forbidden' },
  '404': { $ref: '#/components/responses/NotFound' },
  '422': { $ref: '#/components/responses/ValidationFailure' },
  '429': { $ref: '#/components/responses/TooManyRequests' },
  '500': { $ref: '#/components/responses/InternalServerError' },
};

function operationOf(doc: RouteDoc, path: string): JsonSchema {
  const where = `${doc.method.toUpperCase()} ${path}`;
  const operation: JsonSchema = {
    tags: [doc.tag],
    summary: doc.summary,
    operationId: operationId(doc.method, path),
  };
  if (doc.deviation) operation.description = `Differs from upstream: ${doc.deviation}`;
  if (doc.deprecated) operation.deprecated = true;
  operation.security = doc.auth === false ? [] : [{ bearerAuth: [] }];
  const parameters = parametersOf(doc, path, where);
  if (parameters.length) operation.parameters = parameters;
  if (doc.body) {
    operation.requestBody = {
      required: true,
      content: { 'application/json': { schema: jsonSchemaOf(doc.body, `${where} body`) } },
    };
  }
  operation.responses = {
    '200': {
      description: 'Success',
      content: {
        'application/json': {
          schema: doc.response ? jsonSchemaOf(doc.response, `${where} response`) : { type: 'object' },
        },
      },
    },
    ...ERROR_RESPONSES,
  };
  return operation;
}

/** The OpenAPI 3.1 document of the given routes; throws naming the route when an entry is inconsistent. */
export function buildOpenApiDocument(routes: readonly RouteDoc[]): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const doc of routes) {
    for (const path of typeof doc.path === 'string' ? [doc.path] : doc.path) {
      const key = toOpenApiPath(path);
      const item = paths[key] ?? {};
      paths[key] = item;
      if (item[doc.method]) throw new Error(`${doc.method.toUpperCase()} ${path} is described twice`);
      item[doc.method] = operationOf(doc, path);
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Hanzo KMS API',
      version: DOCUMENT_VERSION,
      description:
        'The Infisical-compatible API of the Hanzo KMS reference server. Generated from the zod schemas ' +
        'the routes validate with. Where a route differs from upstream on purpose, its description says so ' +
        'and names the decision of docs/reference/api.md.',
    },
    tags: Object.entries(API_TAGS).map(([name, description]) => ({ name, description })),
    paths,
    components,
  };
}
