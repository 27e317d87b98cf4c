// Runs a pass (derive state, publish changes) when something says it is due — an inotify event, a
// QMP event, a process that went away — instead of on a fast timer, so an idle engine does no
// work (#24). Pokes are coalesced: many events within `delayMs` make one pass, and a poke during
// a pass makes exactly one more pass after it (nothing seen mid-pass is lost). A slow safety
// pass covers what the kernel cannot tell (a process killed behind our back that wrote no file,
// a freezer changed by a foreign tool).

export interface EventPassOptions {
  /** Coalescing window after a poke. */
  delayMs: number;
  /** The safety pass period; 0 for none. */
  safetyMs: number;
}

export class EventPass {
  private timer?: NodeJS.Timeout;
  private safety?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private closed = false;
  private safetyDue = true;
  /** Passes run so far (tests and benches read it). */
  passes = 0;

  constructor(
    /** `safety`: the first pass, or the safety period ended since the last pass (look at everything). */
    private readonly pass: (safety: boolean) => Promise<void>,
    private readonly opts: EventPassOptions,
  ) {}

  /** The first pass at once, then passes on pokes and on the safety period. */
  start(): void {
    if (this.opts.safetyMs > 0) {
      this.safety = setInterval(() => {
        this.safetyDue = true;
        this.poke(0);
      }, this.opts.safetyMs);
      this.safety.unref();
    }
    this.poke(0);
  }

  /** Asks for a pass within `delayMs` (or after the one under way). */
  poke(delayMs = this.opts.delayMs): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.run();
    }, delayMs);
    this.timer.unref();
  }

  /** Resolves once no pass runs or is due (tests). */
  async settled(): Promise<void> {
    while (this.running || this.timer) await (this.running ?? new Promise((r) => setTimeout(r, 5)));
  }

  stop(): void {
    this.closed = true;
    clearTimeout(this.timer);
    clearInterval(this.safety);
    this.timer = undefined;
  }

  private run(): void {
    if (this.closed) return;
    this.again = false;
    this.passes++;
    const safety = this.safetyDue;
    this.safetyDue = false;
    this.running = this.pass(safety)
      .catch(() => undefined) // a pass reports its own findings; a failed one is retried by the next
      .finally(() => {
        this.running = undefined;
        if (this.again) this.poke();
      });
  }
}
