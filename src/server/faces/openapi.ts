import { procedures } from '../../shared/contract.js';
import { ERROR_CODES } from '../../shared/errors.js';
import { NOVA_VERSION } from '../../core/host/probe.js';
import { effectOf } from '../../shared/contract/effects.js';
import { contractMethods, methodSchemas } from './schemas.js';
import type { JsonSchema } from './schemas.js';

// The OpenAPI 3.1 description of `nova serve`, generated from the contract: one
// `POST /api/<method>` per procedure (body = input, 200 = output), plus the JSON-RPC endpoint.
// 3.1 speaks JSON Schema 2020-12, so zod's schemas go in unchanged.

/** NovaError code → the HTTP status `/api/<method>` answers with. */
export const HTTP_STATUS: Record<(typeof ERROR_CODES)[number], number> = {
  INVALID_INPUT: 400, PERMISSION: 403, NOT_FOUND: 404, CONFLICT: 409, CANCELLED: 409,
  INTERNAL: 500, HOST_UNSUPPORTED: 501, TIMEOUT: 504,
};

const errorSchema: JsonSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string', enum: [...ERROR_CODES] }, message: { type: 'string' }, details: {} },
    },
  },
};

const json = (schema: JsonSchema) => ({ 'application/json': { schema } });
const errorResponse = (description: string) => ({ description, content: json({ $ref: '#/components/schemas/Error' }) });

/** Component names allow letters, digits, `.`, `-`, `_`: method names fit as they are. */
function operation(method: keyof typeof procedures) {
  const { input, output } = methodSchemas(method);
  const effect = effectOf(method);
  const area = method.split('.')[0]!;
  return {
    post: {
      operationId: method.replace(/\.(\w)/g, (_m, c: string) => c.toUpperCase()),
      summary: procedures[method].summary,
      description: effect.readOnly ? 'Read-only.' : `Changes the host${effect.destructive ? ' and may lose state' : ''}${effect.idempotent ? '; idempotent' : ''}.`,
      tags: [area],
      requestBody: { required: false, content: json(input) },
      responses: {
        200: { description: 'The result', content: json(output) },
        400: errorResponse('Invalid input (details.issues says which field)'),
        401: errorResponse('Missing or wrong token'),
        default: errorResponse('A NovaError: NOT_FOUND 404, CONFLICT 409, PERMISSION 403, HOST_UNSUPPORTED 501, TIMEOUT 504, INTERNAL 500'),
      },
    },
  };
}

const rpcPath = {
  post: {
    operationId: 'jsonRpc',
    summary: 'JSON-RPC 2.0: {"jsonrpc":"2.0","id":1,"method":"<one of the /api methods>","params":{…}} (batches of up to 100)',
    tags: ['rpc'],
    requestBody: { required: true, content: json({ type: ['object', 'array'] }) },
    responses: { 200: { description: 'The JSON-RPC reply', content: json({ type: ['object', 'array'] }) }, 204: { description: 'Only notifications were sent' } },
  },
};

let cached: JsonSchema | undefined;

export function openApiDocument(): JsonSchema {
  if (cached) return cached;
  const paths: Record<string, unknown> = { '/rpc': rpcPath };
  for (const m of contractMethods()) paths[`/api/${m}`] = operation(m);
  cached = {
    openapi: '3.1.0',
    info: {
      title: 'Nova',
      version: NOVA_VERSION,
      description: 'VMs, capsules, networks and GPU passthrough on one Linux host. Every operation is one procedure of the contract the CLI, the app and the WebSocket API share.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    paths,
    components: {
      schemas: { Error: errorSchema },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'The token `nova serve` prints (or --token-file)' } },
    },
  };
  return cached;
}
