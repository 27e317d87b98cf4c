import { randomBytes } from 'node:crypto';
import { tokenMatches } from './auth.js';

// Browser sign-in without the token in a URL or on a command line: a token holder (the `npm
// start` launcher) asks for a one-time code, hands it to the browser through a private file, and
// the browser trades it for an HttpOnly SameSite=Strict session cookie its scripts cannot read.

export const SESSION_COOKIE = 'nova_session';
const CODE_TTL_MS = 60_000;
const MAX_CODES = 32;
const MAX_SESSIONS = 64;

export class Sessions {
  private codes = new Map<string, number>();
  private sessions: string[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  /** A code valid once, for one minute. */
  issueCode(): string {
    this.dropExpired();
    if (this.codes.size >= MAX_CODES) this.codes.delete(this.codes.keys().next().value!);
    const code = randomBytes(18).toString('base64url');
    this.codes.set(code, this.now() + CODE_TTL_MS);
    return code;
  }

  /** Consumes a code; a new session id when it was valid, undefined otherwise. */
  redeem(code: string | null | undefined): string | undefined {
    this.dropExpired();
    if (!code) return undefined;
    const match = [...this.codes.keys()].find((c) => tokenMatches(code, c));
    if (!match) return undefined;
    this.codes.delete(match);
    const id = randomBytes(24).toString('base64url');
    this.sessions.push(id);
    if (this.sessions.length > MAX_SESSIONS) this.sessions.shift();
    return id;
  }

  valid(id: string | undefined): boolean {
    return Boolean(id) && this.sessions.some((s) => tokenMatches(id, s));
  }

  private dropExpired(): void {
    const t = this.now();
    for (const [c, until] of this.codes) if (until < t) this.codes.delete(c);
  }
}

export const sessionCookie = (id: string): string => `${SESSION_COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/`;
