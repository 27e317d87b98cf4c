import { writeSync } from 'node:fs';

// Test hook for crash safety: with NOVA_CRASH_AT=N the process kills itself with SIGKILL at the
// Nth crash point it reaches (a kill -9 at exactly that step, no timing luck). Tests raise N until
// the command finishes, checking after each kill that recovery leaves nothing behind. Unset in
// production: a counter compare, nothing else.

let reached = 0;
let held = false;

export function crashPoint(step: string): void {
  const at = process.env.NOVA_CRASH_AT;
  if (!at || held || ++reached !== Number(at)) return;
  writeSync(2, `nova: NOVA_CRASH_AT=${at}: killed at ${step}\n`);
  process.kill(process.pid, 'SIGKILL');
}

/**
 * A long-running process (`nova privd`) counts only while it does what a test kills it in: crash
 * points reached while held (its start-up convergence, other verbs) are not counted.
 */
export function holdCrashPoints(hold = true): void {
  held = hold;
}
