// The OpenAPI document checked by a validator Nova did not write, then used as a client would:
// POST /api/<method> answers with what the document says.
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { procedures } from '../../shared/contract.js';
import { tempHome } from '../../test/host.js';
import type { TempHome } from '../../test/host.js';
import { startServer } from '../server.js';
import type { RunningServer } from '../server.js';

let home: TempHome;
let server: RunningServer;
let doc: { paths: Record<string, { post: { summary: string; requestBody: { content: Record<string, { schema: object }> }; responses: Record<string, { content?: Record<string, { schema: object }> }> } }> };

beforeAll(async () => {
  home = await tempHome();
  server = await startServer({ engine: home.engine(), port: 0 });
  const res = await fetch(`${server.url}/openapi.json`);
  expect(res.status).toBe(200);
  doc = (await res.json()) as typeof doc;
}, 60_000);
afterAll(async () => {
  await server?.close();
  await home?.cleanup();
});

const api = (method: string, body?: unknown, token = server.token) =>
  fetch(`${server.url}/api/${method}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });

describe('/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const res = await validator.validate(doc as unknown as Parameters<Validator['validate']>[0]);
    expect(res.errors ?? []).toEqual([]);
    expect(res.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('has one POST /api/<method> per procedure of the contract, with its summary', () => {
    const documented = Object.keys(doc.paths).filter((p) => p.startsWith('/api/')).map((p) => p.slice(5)).sort();
    expect(documented).toEqual(Object.keys(procedures).sort());
    expect(doc.paths['/api/host.info']!.post.summary).toBe(procedures['host.info'].summary);
  });

  it('describes what /api really answers (host.info checked against its response schema)', async () => {
    const res = await api('host.info', {});
    expect(res.status).toBe(200);
    const schema = doc.paths['/api/host.info']!.post.responses['200']!.content!['application/json']!.schema;
    const validate = new Ajv2020({ strict: false }).compile(schema);
    expect(validate(await res.json()), JSON.stringify(validate.errors)).toBe(true);
  });

  it('maps errors to statuses and refuses without the token', async () => {
    expect((await api('vm.inspect', { name: 'Bad Name' })).status).toBe(400);
    expect((await api('vm.inspect', { name: 'nosuch' })).status).toBe(404);
    expect((await api('no.such.method', {})).status).toBe(404);
    expect((await api('host.info', undefined)).status).toBe(200);
    const refused = await api('host.info', {}, 'wrong');
    expect(refused.status).toBe(401);
    expect((await fetch(`${server.url}/api/host.info`, { method: 'GET', headers: { authorization: `Bearer ${server.token}` } })).status).toBe(405);
  });
});
