// Multi-step host changes register an undo for each step; on failure the undos run in reverse.
// Modelled on Incus's revert helper: add() after each step, success() at the end.
export type Undo = () => Promise<void> | void;

export class Reverter {
  private undos: { label: string; fn: Undo }[] = [];
  private done = false;
  /** Errors met while undoing: reported, never thrown over the original failure. */
  readonly undoErrors: { label: string; error: unknown }[] = [];

  add(fn: Undo, label = 'step'): void {
    if (this.done) throw new Error('Reverter used after success() or fail()');
    this.undos.push({ label, fn });
  }

  /** Keep every change: the operation succeeded. */
  success(): void {
    this.done = true;
    this.undos = [];
  }

  /** Undo every registered step, newest first. Safe to call twice. */
  async fail(): Promise<void> {
    if (this.done) return;
    this.done = true;
    for (const { label, fn } of this.undos.reverse()) {
      try {
        await fn();
      } catch (error) {
        this.undoErrors.push({ label, error });
      }
    }
    this.undos = [];
  }
}

/** Runs `fn` with a Reverter: success() when it resolves, fail() and rethrow when it throws. */
export async function withReverter<T>(fn: (r: Reverter) => Promise<T>): Promise<T> {
  const r = new Reverter();
  try {
    const value = await fn(r);
    r.success();
    return value;
  } catch (e) {
    await r.fail();
    throw e;
  }
}
