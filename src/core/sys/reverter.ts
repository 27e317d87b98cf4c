// Multi-step host changes register an undo for each step; on failure the undos run in reverse.
// Modelled on Incus's revert helper: add() after each step, success() at the end.
import { NovaError } from '../../shared/errors.js';

export type Undo = () => Promise<void> | void;

/** One undo that failed: which step (1 = first registered), its label, and the error. */
export interface UndoFailure {
  step: number;
  label: string;
  error: unknown;
}

export class Reverter {
  private undos: { label: string; fn: Undo }[] = [];
  private done = false;
  /** Errors met while undoing: reported with the original failure, never instead of it. */
  readonly undoErrors: UndoFailure[] = [];

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
    // Every undo runs even when one fails: a stuck step must not leave the others behind.
    for (const [i, { label, fn }] of [...this.undos.entries()].reverse()) {
      try {
        await fn();
      } catch (error) {
        this.undoErrors.push({ step: i + 1, label, error });
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
    throw withUndoFailures(e, r.undoErrors);
  }
}

const text = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * The original failure, telling also which undo steps failed and why: the user must learn that
 * something was left on the host. Its code stays the original one; a NovaError's details get
 * `undoFailed`, any other error gets the note in its message and an `undoFailed` property.
 */
export function withUndoFailures(e: unknown, failures: readonly UndoFailure[]): unknown {
  if (failures.length === 0) return e;
  const undoFailed = failures.map((f) => ({ step: f.step, label: f.label, error: text(f.error) }));
  const note = `; undoing it also failed at ${undoFailed.map((f) => `step ${f.step} (${f.label}): ${f.error}`).join('; ')} — that change may still be on the host`;
  if (e instanceof NovaError) {
    const details = e.details && typeof e.details === 'object' && !Array.isArray(e.details) ? e.details : e.details === undefined ? {} : { cause: e.details };
    return new NovaError(e.code, `${e.message}${note}`, { ...details, undoFailed });
  }
  if (e instanceof Error) {
    e.message = `${e.message}${note}`;
    Object.assign(e, { undoFailed });
    return e;
  }
  return new NovaError('INTERNAL', `${text(e)}${note}`, { undoFailed });
}
