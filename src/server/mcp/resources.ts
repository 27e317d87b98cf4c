import type { ReadResourceResult, Resource } from '@modelcontextprotocol/sdk/types.js';
import { redact, redactText } from '../../shared/redact.js';
import { readNovafileText } from '../../core/novafile/load.js';
import { secretsFromToml } from '../../core/support/scrub.js';
import type { Dispatcher, Transport } from '../../core/rpc/dispatcher.js';

// MCP resources: what an assistant reads for context before it calls tools. Each passes the
// same redaction as every other face: contract results through redact(), the NovaFile text with
// its env values and secret-looking keys masked wherever they appear.

export const HOST_INFO_URI = 'nova://host/info';
export const RESOURCE_LIST_URI = 'nova://resources';
export const NOVAFILE_URI = 'nova://project/NovaFile';

export interface ResourceOptions {
  dispatcher: Dispatcher;
  transport: Transport;
  /** The current project's NovaFile (absent: no such resource). */
  novafile?: string;
}

export function listResources(opts: ResourceOptions): Resource[] {
  const list: Resource[] = [
    { uri: HOST_INFO_URI, name: 'host.info', title: 'Host facts', description: 'OS, kernel, CPUs, memory, KVM or TCG and why, cgroups, tools', mimeType: 'application/json' },
    { uri: RESOURCE_LIST_URI, name: 'resource.list', title: 'VMs, capsules and networks', description: 'Every resource with its state and why', mimeType: 'application/json' },
  ];
  if (opts.novafile) list.push({ uri: NOVAFILE_URI, name: 'NovaFile', title: 'The current project', description: `${opts.novafile} (secrets redacted)`, mimeType: 'application/toml' });
  return list;
}

async function callJson(opts: ResourceOptions, method: 'host.info' | 'resource.list'): Promise<string> {
  const result = await opts.dispatcher.call(method, {}, { transport: opts.transport, remote: opts.transport !== 'inproc' });
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return JSON.stringify(redact(result.value), null, 2);
}

/** The NovaFile with every secret value masked; unparsable TOML is not shown (its secrets cannot be found). */
async function novafileText(path: string): Promise<string> {
  const text = await readNovafileText(path);
  const secrets = new Set<string>();
  const keys = new Set<string>();
  if (!secretsFromToml(text, secrets, keys)) return `# ${path} does not parse as TOML; run \`nova validate\` (the text is withheld: its secrets cannot be found)\n`;
  return redactText(text, [...secrets], [...keys]);
}

export async function readResource(uri: string, opts: ResourceOptions): Promise<ReadResourceResult> {
  let text: string;
  let mimeType = 'application/json';
  if (uri === HOST_INFO_URI) text = await callJson(opts, 'host.info');
  else if (uri === RESOURCE_LIST_URI) text = await callJson(opts, 'resource.list');
  else if (uri === NOVAFILE_URI && opts.novafile) {
    text = await novafileText(opts.novafile);
    mimeType = 'application/toml';
  } else throw new Error(`no resource ${uri}`);
  return { contents: [{ uri, mimeType, text }] };
}
