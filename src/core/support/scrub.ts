import { parse as parseToml } from 'smol-toml';
import { isSecretKey, redact, redactText } from '../../shared/redact.js';

// What a support bundle may contain. Secrets never (with or without --redact): every value under
// an `env` table, every value whose key looks secret, every secret-looking variable of Nova's own
// environment, wherever those values reappear (logs, argv). --redact also masks identities:
// hostnames, serials, MAC addresses, public IPs and user names in paths.

/**
 * Collects secret values (of every length) from a parsed object: env tables, `KEY=VALUE` env
 * lists and secret-looking keys. The env names go into `keys`, so `NAME=…` is found in free text.
 */
export function collectSecrets(value: unknown, into: Set<string>, underEnv = false, keys?: Set<string>): Set<string> {
  if (typeof value === 'string' && underEnv) {
    const eq = value.indexOf('=');
    if (eq > 0) {
      keys?.add(value.slice(0, eq));
      if (eq < value.length - 1) into.add(value.slice(eq + 1));
    } else if (value) into.add(value);
  } else if (Array.isArray(value)) for (const v of value) collectSecrets(v, into, underEnv, keys);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const secret = underEnv || isSecretKey(k);
      if (secret && (typeof v === 'string' || typeof v === 'number') && String(v).length > 0) {
        into.add(String(v));
        keys?.add(k);
      } else collectSecrets(v, into, secret || k === 'env', keys);
    }
  }
  return into;
}

export function secretsFromEnv(env: NodeJS.ProcessEnv, into: Set<string>, keys?: Set<string>): Set<string> {
  for (const [k, v] of Object.entries(env)) {
    if (v && isSecretKey(k)) {
      into.add(v);
      keys?.add(k);
    }
  }
  return into;
}

export function secretsFromToml(text: string, into: Set<string>, keys?: Set<string>): boolean {
  try {
    collectSecrets(parseToml(text), into, false, keys);
    return true;
  } catch {
    return false;
  }
}

const MAC = /\b[0-9a-f]{2}(?::[0-9a-f]{2}){5}\b/gi;
const IPV4 = /\b(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\b/g;
const IPV6_GLOBAL = /\b[23][0-9a-f]{3}:(?:[0-9a-f]{0,4}:){2,6}[0-9a-f]{0,4}\b/gi;

/** Private, loopback, link-local, CGNAT, multicast and documentation ranges stay readable. */
export function isPublicIpv4(a: number, b: number): boolean {
  if (a === 10 || a === 127 || a === 0 || a >= 224) return false;
  if (a === 169 && b === 254) return false;
  if (a === 172 && b >= 16 && b <= 31) return false;
  if (a === 192 && b === 168) return false;
  if (a === 100 && b >= 64 && b <= 127) return false;
  return true;
}

export interface Scrubber {
  secrets: Set<string>;
  /** Names whose values are secrets (env names seen in NovaFiles and state): `NAME=…` is redacted. */
  keys?: Set<string>;
  mask: boolean;
  hostnames: string[];
}

/** Free text (logs, command output) → safe text. */
export function scrubText(text: string, s: Scrubber): string {
  let out = redactText(text, [...s.secrets], [...(s.keys ?? [])]);
  if (!s.mask) return out;
  for (const h of s.hostnames) if (h.length >= 3) out = out.replace(new RegExp(`\\b${h.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`, 'g'), '«host»');
  out = out.replace(MAC, '«mac»');
  out = out.replace(IPV4, (m, a: string, b: string, c: string, d: string) => {
    const parts = [a, b, c, d].map(Number);
    if (parts.some((p) => p > 255)) return m;
    return isPublicIpv4(parts[0]!, parts[1]!) ? '«public-ip»' : m;
  });
  out = out.replace(IPV6_GLOBAL, '«public-ip6»');
  out = out.replace(/\/home\/[^/\s"']+/g, '/home/«user»');
  out = out.replace(/\b(serial(?:[ _-]?(?:number|no))?|s\/n)(\s*[:=]\s*)\S+/gi, '$1$2«serial»');
  return out;
}

/**
 * Structured data (state files, reports) → safe data: secrets by key first, then every string
 * leaf scrubbed as text. Never through the JSON text, so no regex can break the structure.
 */
export function scrubJson(value: unknown, s: Scrubber): unknown {
  let v = redact(value);
  if (s.mask) v = maskKeys(v, s);
  return scrubLeaves(v, s);
}

function scrubLeaves(value: unknown, s: Scrubber): unknown {
  if (typeof value === 'string') return scrubText(value, s);
  if (Array.isArray(value)) return value.map((v) => scrubLeaves(v, s));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = scrubLeaves(v, s);
    return out;
  }
  return value;
}

function maskKeys(value: unknown, s: Scrubber): unknown {
  if (Array.isArray(value)) return value.map((v) => maskKeys(v, s));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (/^(hostname|serial|serial_?number|uuid|machine_?id|boot_?id)$/i.test(k) && typeof v === 'string') out[k] = k.toLowerCase() === 'hostname' ? '«host»' : '«serial»';
      else out[k] = maskKeys(v, s);
    }
    return out;
  }
  return value;
}
