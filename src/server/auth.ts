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

/** The token from `Authorization: Bearer …`, `?token=…`, or the `nova.token.…` subprotocol. */
export function tokenFrom(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  const url = new URL(req.url ?? '/', 'http://localhost');
  const q = url.searchParams.get('token');
  if (q) return q;
  const protos = String(req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((s) => s.trim());
  return protos.find((p) => p.startsWith('nova.token.'))?.slice('nova.token.'.length);
}

/**
 * Browsers always send Origin: only our own page may talk to us (no drive-by pages on other
 * sites). Clients without Origin (CLI scripts, curl) are fine; they still need the token.
 */
export function originAllowed(req: IncomingMessage, extra: readonly string[] = []): boolean {
  const origin = req.headers.origin;
  if (!origin) return true;
  const host = req.headers.host;
  return origin === `http://${host}` || extra.includes(origin);
}
