import { lookup } from 'node:dns/promises';
import { isIPv4 } from 'node:net';
import { NovaError } from '../../../shared/errors.js';

// Peers of an encrypted overlay, as declared: "<identity>@<host>:<port>". The identity is what
// the driver pins (a WireGuard public key, a certificate fingerprint); host is an IPv4 address or
// a DNS name (resolved before anything is created); port is the peer's UDP listen port.

export interface PeerSpec {
  raw: string;
  identity: string;
  host: string;
  port: number;
}

const HOST = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*)$/i;

const bad = (i: number, message: string) => new NovaError('INVALID_INPUT', `peers[${i}]: ${message}`, { field: `peers[${i}]` });

/** Syntax only; `identity` says what the part before "@" is, for the messages. */
export function parsePeer(raw: string, i: number, identity: string, example: string): PeerSpec {
  const at = raw.lastIndexOf('@');
  if (at <= 0) throw bad(i, `"${raw}" has no ${identity}: write it as "${example}"`);
  const id = raw.slice(0, at);
  const rest = raw.slice(at + 1);
  const m = /^(.+):(\d{1,5})$/.exec(rest);
  if (!m) throw bad(i, `"${rest}" has no port: write it as "${example}" (the peer's listen_port)`);
  const [, host, port] = m as unknown as [string, string, string];
  if (!HOST.test(host)) throw bad(i, `"${host}" is not an IPv4 address or host name`);
  if (isIPv4Like(host) && !isIPv4(host)) throw bad(i, `"${host}" is not a valid IPv4 address`);
  const p = Number(port);
  if (p < 1 || p > 65535) throw bad(i, `port ${port} is out of range (1-65535)`);
  return { raw, identity: id, host, port: p };
}

const isIPv4Like = (h: string) => /^[\d.]+$/.test(h);

/** The peer's IPv4 underlay address; a name that does not resolve is an INVALID_INPUT naming the peer. */
export async function resolvePeer(p: PeerSpec, i: number): Promise<string> {
  if (isIPv4(p.host)) return p.host;
  try {
    return (await lookup(p.host, { family: 4 })).address;
  } catch {
    throw bad(i, `host "${p.host}" does not resolve (no IPv4 address): use the peer's underlay IP address or fix its name`);
  }
}

/** Every peer parsed and resolved, duplicates refused: the check() half every encrypted driver shares. */
export async function parsePeers(peers: readonly string[], identity: string, example: string, validId: (id: string) => string | undefined): Promise<(PeerSpec & { address: string })[]> {
  const out: (PeerSpec & { address: string })[] = [];
  for (const [i, raw] of peers.entries()) {
    const p = parsePeer(raw, i, identity, example);
    const why = validId(p.identity);
    if (why) throw bad(i, `${identity} "${p.identity}" ${why}`);
    if (out.some((o) => o.identity === p.identity)) throw bad(i, `${identity} ${p.identity} is listed twice`);
    out.push({ ...p, address: await resolvePeer(p, i) });
  }
  return out;
}
