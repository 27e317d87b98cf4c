// What one client may cost `nova serve`: bounded messages, bodies and request rate, so a
// misbehaving script slows itself down instead of the server (and the other clients).

/** Largest WebSocket message or HTTP body: a 4 MB NovaFile fits, an 8 MiB frame does not. */
export const MAX_MESSAGE_BYTES = 5 * 1024 * 1024;
/** Requests a client may send per second on average, and at once after a quiet spell. */
export const RATE_PER_SECOND = 400;
export const RATE_BURST = 800;
/** Calls of one WebSocket client running at the same time; more wait (its socket is paused). */
export const MAX_IN_FLIGHT = 64;

/** A token bucket: `take()` says how long to wait before the request may run (0 = now). */
export class RateLimiter {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate = RATE_PER_SECOND,
    private readonly burst = RATE_BURST,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  take(cost = 1): number {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.rate);
    this.last = t;
    this.tokens -= cost;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.rate) * 1000);
  }
}

/** Rate limiters per HTTP client address, forgotten after a minute of silence. */
export class PerAddress {
  private limiters = new Map<string, { limiter: RateLimiter; seen: number }>();

  take(address: string): number {
    const t = Date.now();
    for (const [a, e] of this.limiters) if (t - e.seen > 60_000) this.limiters.delete(a);
    let e = this.limiters.get(address);
    if (!e) this.limiters.set(address, (e = { limiter: new RateLimiter(), seen: t }));
    e.seen = t;
    return e.limiter.take();
  }
}
