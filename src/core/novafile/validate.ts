import { parse, TomlError } from 'smol-toml';
import type { z } from 'zod';
import type { NovafileIssue } from '../../shared/contract/novafile.js';
import { novafileSchema, SECTION_KEYS } from '../../shared/schemas/novafile.js';
import type { NovaFile } from '../../shared/schemas/novafile.js';
import { crossCheck } from './crossref.js';
import { locateKeys, nearest } from './locate.js';
import type { Pos } from './locate.js';
import { suggest } from './suggest.js';

export interface ValidationResult {
  novafile?: NovaFile;
  errors: NovafileIssue[];
}

// Example lines for the fix hint of a wrongly-typed key.
const EXAMPLES: Record<string, string> = {
  cpu: 'cpu = 4', memory: 'memory = "8Gi"', image: 'image = "/var/lib/nova/images/disk.qcow2"', network: 'network = "bridge0"',
  gpu_passthrough: 'gpu_passthrough = true', capsule: 'capsule = "ubuntu:22.04"', volumes: 'volumes = ["./api:/srv/api"]',
  nics: 'nics = [{ network = "lab" }, { network = "user", ports = ["2222:22"] }]', model: 'model = "virtio"',
  shares: 'shares = [{ host = "./src", tag = "src" }]', tag: 'tag = "src"', host: 'host = "./src"',
  ports: 'ports = ["8080:80"]', type: 'type = "bridge"', interfaces: 'interfaces = ["enp6s0"]', dns: 'dns = true',
  subnet: 'subnet = "192.168.220.1/24"', restart: 'restart = "on-failure"', firmware: 'firmware = "uefi"', project: 'project = "dev-lab"',
  command: 'command = ["sh", "-c", "echo hi"]', ha: 'ha = true', strategy: 'strategy = "spread"', require: 'require = { gpu = "rtx-4090" }', profile: 'profile = "nat"', driver: 'driver = "vxlan"',
};

/** Which key list applies at a path: ["vm","x"] → vm, ["container","x","limits"] → limits. */
function sectionAt(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '';
  if (path.length === 2) return String(path[0]);
  const last = String(path[path.length - 1]);
  if (last === 'limits' || last === 'io' || last === 'placement') return last;
  if (path[2] === 'disks') return 'disk';
  if (path[2] === 'nics') return 'nics';
  if (path[2] === 'cloud_init') return 'cloud_init';
  if (path[2] === 'shares') return 'shares';
  return '?';
}

const valueAt = (raw: unknown, path: readonly (string | number)[]): unknown =>
  path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), raw);

function fromZod(issue: z.core.$ZodIssue, raw: unknown, where: (p: readonly (string | number)[]) => Pos, file: string): NovafileIssue[] {
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const candidates = SECTION_KEYS[sectionAt(path)] ?? [];
      const hint = suggest(key, candidates);
      const full = [...path, key];
      return {
        file, ...where(full), path: full.join('.'),
        message: `unknown key \`${key}\`${hint ? ` — did you mean \`${hint}\`?` : ''}`,
        fix: hint ? `rename it to \`${hint}\`` : `remove it; allowed here: ${candidates.join(', ')}`,
      };
    });
  }
  if (issue.code === 'invalid_key') {
    const name = String(path[path.length - 1]);
    const why = issue.issues[0]?.message ?? 'invalid name';
    return [{ file, ...where(path), path: path.join('.'), message: `invalid name "${name}": ${why}`, fix: 'rename the section' }];
  }
  const key = [...path].reverse().find((p): p is string => typeof p === 'string');
  const example = key ? EXAMPLES[key] : undefined;
  const received = issue.code === 'invalid_type' && valueAt(raw, path) === undefined ? `\`${key ?? 'value'}\` is required` : issue.message;
  return [{ file, ...where(path), path: path.join('.'), message: received, ...(example ? { fix: `for example: ${example}` } : {}) }];
}

/** Parses and validates NovaFile text. Never throws: every problem is an issue with a location. */
export function validateNovafileText(text: string, file: string): ValidationResult {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (e) {
    if (e instanceof TomlError) {
      const first = e.message.split('\n')[0]!.replace(/^Invalid TOML document: /, '');
      return { errors: [{ file, line: e.line, column: e.column, path: '', message: `TOML syntax: ${first}`, fix: 'fix the TOML syntax at this position' }] };
    }
    return { errors: [{ file, line: 1, column: 1, path: '', message: `cannot parse: ${(e as Error).message}` }] };
  }
  const places = locateKeys(text);
  const where = (p: readonly (string | number)[]) => nearest(places, p);
  const parsed = novafileSchema.safeParse(raw);
  const errors: NovafileIssue[] = parsed.success ? [] : parsed.error.issues.flatMap((i) => fromZod(i, raw, where, file));
  if (parsed.success) {
    for (const c of crossCheck(parsed.data)) errors.push({ file, ...where(c.at), path: c.path, message: c.message, ...(c.fix ? { fix: c.fix } : {}) });
  }
  errors.sort((a, b) => a.line - b.line || a.column - b.column);
  return errors.length === 0 && parsed.success ? { novafile: parsed.data, errors } : { errors };
}

/** "NovaFile:7:1: unknown key `cpus` — did you mean `cpu`? (fix: rename it to `cpu`)" */
export const formatIssue = (i: NovafileIssue): string =>
  `${i.file}:${i.line}:${i.column}: ${i.path ? `${i.path}: ` : ''}${i.message}${i.fix ? ` (fix: ${i.fix})` : ''}`;
