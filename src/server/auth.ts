import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const newToken = (): string => randomBytes(24).toString('base64url');

/** Constant-time comparison (hashing first makes lengths equal and leaks nothing). */
export function tokenMatches(given: string | undefined, expected: string): boolean {
  if (!given) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The token from `Authorization: Bearer …` or the `nova.token.…` WebSocket subprotocol. */
export function tokenFrom(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  const protos = String(req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((s) => s.trim());
  return protos.find((p) => p.startsWith('nova.token.'))?.slice('nova.token.'.length);
}

/** The value of one cookie of the request, if sent. */
export function cookieFrom(req: IncomingMessage, name: string): string | undefined {
  for (const part of String(req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Browsers always send Origin: only our own page may talk to us (no drive-by pages on other
 * sites or other ports). Clients without Origin (CLI scripts, curl) are fine; they still need
 * the token.
 */
export function originAllowed(req: IncomingMessage, extra: readonly string[] = []): boolean {
  const origin = req.headers.origin;
  if (!origin) return true;
  return origin === `http://${req.headers.host}` || extra.includes(origin);
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/** Host without its port: "127.0.0.1:7878" → "127.0.0.1", "[::1]:7878" → "[::1]". */
export function hostName(host: string): string {
  const m = /^(\[[^\]]*\]|[^:]*)(?::\d+)?$/.exec(host.trim());
  return (m?.[1] ?? '').toLowerCase();
}

/**
 * DNS rebinding: a page on evil.example whose name later resolves to 127.0.0.1 reaches us with
 * `Host: evil.example`. Only loopback names, the address we are bound to and names the user
 * configured (`--allow-host`) are answered.
 */
export function hostAllowed(req: IncomingMessage, bound: string, configured: readonly string[] = []): boolean {
  const host = req.headers.host;
  if (!host) return false;
  const name = hostName(host);
  const boundName = bound.includes(':') ? `[${bound}]` : bound;
  return LOOPBACK_NAMES.includes(name) || name === boundName.toLowerCase() || configured.some((c) => hostName(c) === name);
}
