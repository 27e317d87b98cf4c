// MCP with the SDK's own client, Nova's code on the other end only: `nova mcp` spawned over
// stdio, and /mcp of the real HTTP server with and without its token.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { procedures } from '../../shared/contract.js';
import { effectOf } from '../../shared/contract/effects.js';
import { tempHome } from '../../test/host.js';
import type { TempHome } from '../../test/host.js';
import { startServer } from '../server.js';
import type { RunningServer } from '../server.js';

const root = join(import.meta.dirname, '..', '..', '..');
let home: TempHome;
let project: string;
const clients: Client[] = [];

beforeAll(async () => {
  home = await tempHome();
  project = await mkdtemp(join(tmpdir(), 'nova-mcp-project-'));
  await writeFile(join(project, 'NovaFile'), 'project = "mcp"\n\n[container.api]\ncapsule = "busybox"\nenv.API_KEY = "hunter2-very-secret"\n');
});
afterAll(async () => {
  for (const c of clients) await c.close().catch(() => undefined);
  await home.cleanup();
  await rm(project, { recursive: true, force: true });
});

const shared = new Map<string, Promise<Client>>();
/** One spawned `nova mcp` per argument list (starting from the sources takes seconds). */
const stdioClient = (args: string[] = []): Promise<Client> => {
  const key = args.join(' ');
  if (!shared.has(key)) shared.set(key, spawnClient(args));
  return shared.get(key)!;
};

async function spawnClient(args: string[]): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [join(root, 'bin', 'nova.mjs'), 'mcp', ...args],
    cwd: project,
    env: { ...(home.env as Record<string, string>), NOVA_FROM_SOURCE: '1' },
    stderr: 'inherit',
  });
  const client = new Client({ name: 'nova-test', version: '1' });
  clients.push(client);
  await client.connect(transport);
  return client;
}

const text = (r: unknown): string => (r as CallToolResult).content.map((c) => (c.type === 'text' ? c.text : '')).join('');

describe('nova mcp (stdio)', () => {
  it('lists every read procedure as a tool with a valid input schema, and no writes', async () => {
    const client = await stdioClient();
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    const reads = Object.keys(procedures).filter((m) => effectOf(m).readOnly);
    for (const m of ['host.info', 'resource.list', 'vm.list', 'network.list', 'gpu.list', 'capsule.list']) expect(reads).toContain(m);
    for (const m of reads) expect(names, m).toContain(m.replace(/\./g, '_'));
    expect(names).not.toContain('vm_start');
    const ajv = new Ajv2020({ strict: false });
    for (const t of tools) {
      expect(t.inputSchema.type, t.name).toBe('object');
      expect(() => ajv.compile(t.inputSchema), t.name).not.toThrow();
      expect(t.annotations?.readOnlyHint, t.name).toBe(true);
      expect(t.description, t.name).toBe(procedures[t.title as keyof typeof procedures].summary);
    }
  }, 60_000);

  it('answers host info and the resource list with structured output; refuses a write', async () => {
    const client = await stdioClient();
    const info = await client.callTool({ name: 'host_info', arguments: {} });
    expect(info.isError).toBeFalsy();
    expect(['kvm', 'tcg', 'none']).toContain((info.structuredContent as { accelerator: { kind: string } }).accelerator.kind);
    const list = await client.callTool({ name: 'resource_list', arguments: {} });
    expect(Array.isArray((list.structuredContent as { items: unknown[] }).items)).toBe(true);
    const bad = await client.callTool({ name: 'vm_inspect', arguments: { name: 'Not A Name!' } });
    expect(bad.isError).toBe(true);
    expect(text(bad)).toMatch(/INVALID_INPUT/);
    const write = await client.callTool({ name: 'vm_start', arguments: { name: 'x' } });
    expect(write.isError).toBe(true);
    expect(text(write)).toMatch(/PERMISSION.*--allow-write/);
  }, 60_000);

  it('offers the NovaFile, host info and resource list as resources, secrets redacted', async () => {
    const client = await stdioClient();
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri).sort()).toEqual(['nova://host/info', 'nova://project/NovaFile', 'nova://resources']);
    const nf = await client.readResource({ uri: 'nova://project/NovaFile' });
    const body = (nf.contents[0] as { text: string }).text;
    expect(body).toContain('[container.api]');
    expect(body).toContain('API_KEY');
    expect(body).not.toContain('hunter2');
    const host = await client.readResource({ uri: 'nova://host/info' });
    expect(JSON.parse((host.contents[0] as { text: string }).text)).toHaveProperty('kernel');
  }, 60_000);

  it('with --allow-write offers mutating tools with destructive and idempotent hints', async () => {
    const client = await stdioClient(['--allow-write']);
    const { tools } = await client.listTools();
    const hints = (n: string) => tools.find((t) => t.name === n)?.annotations;
    expect(hints('vm_start')).toMatchObject({ readOnlyHint: false, destructiveHint: false, idempotentHint: true });
    expect(hints('vm_delete')).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    expect(hints('novafile_up')).toMatchObject({ readOnlyHint: false });
    const r = await client.callTool({ name: 'vm_start', arguments: { name: 'nosuchvm' } });
    expect(text(r)).toMatch(/NOT_FOUND/);
  }, 60_000);
});

describe('/mcp on nova serve (Streamable HTTP)', () => {
  let server: RunningServer;
  beforeAll(async () => (server = await startServer({ engine: home.engine(), port: 0 })));
  afterAll(async () => server?.close());

  const httpClient = async (token?: string, origin?: string): Promise<Client> => {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (origin) headers.origin = origin;
    const client = new Client({ name: 'nova-test', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { requestInit: { headers } }));
    clients.push(client);
    return client;
  };

  it('with the token: lists tools and calls host info; writes refused', async () => {
    const client = await httpClient(server.token);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain('resource_list');
    const info = await client.callTool({ name: 'host_info', arguments: {} });
    expect(info.structuredContent).toHaveProperty('hostname');
    expect(text(await client.callTool({ name: 'vm_delete', arguments: { name: 'x' } }))).toMatch(/PERMISSION/);
  });

  it('without the token, or from a foreign Origin, it is refused before MCP sees anything', async () => {
    await expect(httpClient()).rejects.toThrow(/refused: missing or wrong token/);
    await expect(httpClient('wrong')).rejects.toThrow(/refused: missing or wrong token/);
    await expect(httpClient(server.token, 'http://evil.example')).rejects.toThrow(/refused: foreign Origin/);
    const raw = await fetch(`${server.url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(raw.status).toBe(401);
  });
});
