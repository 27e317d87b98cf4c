import { readFileSync, writeFileSync } from 'node:fs';
import { NovaError } from '../../shared/errors.js';

import type { CapsuleLayout } from './layout.js';
import { parseCgroupPaths } from './stats.js';

// The cgroup freezer, written directly: what `crun|runc pause/resume` do, without two runtime
// processes around every snapshot. The runtimes read the same freezer, so `state` stays right.
// Synchronous I/O on purpose: these are tiny kernel files, where a thread-pool round trip per
// read costs more than the read.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const read = (p: string) => {
  try {
    return readFileSync(p, 'utf8').trim();
  } catch {
    return '';
  }
};

interface Freezer {
  frozen(): boolean;
  set(frozen: boolean): void;
}

function freezerOf(pid: number, cgroup: string): Freezer | undefined {
  const { v1, v2 } = parseCgroupPaths(read(`/proc/${pid}/cgroup`));
  // A reused pid would name some other cgroup: only ever freeze the capsule's own.
  if (v1.freezer?.endsWith(cgroup)) {
    const state = `${v1.freezer}/freezer.state`;
    return { frozen: () => read(state) === 'FROZEN', set: (f) => writeFileSync(state, f ? 'FROZEN' : 'THAWED') };
  }
  if (!v1.freezer && v2?.endsWith(cgroup)) {
    return {
      frozen: () => /^frozen 1$/m.test(read(`${v2}/cgroup.events`)),
      set: (f) => writeFileSync(`${v2}/cgroup.freeze`, f ? '1' : '0'),
    };
  }
  return undefined;
}

/**
 * Freezes every process of a running capsule until the returned thaw() is called. Returns
 * undefined when there is nothing to freeze (not running) or it was already frozen (paused by
 * the user: it stays paused).
 */
export async function freezeCapsule(layout: CapsuleLayout, cgroup: string, timeoutMs = 10_000): Promise<(() => Promise<void>) | undefined> {
  const pid = Number.parseInt(read(layout.containerPid), 10);
  if (!(pid > 0)) return undefined;
  const freezer = freezerOf(pid, cgroup); // none when the process is gone: nothing to freeze
  if (!freezer || freezer.frozen()) return undefined;
  freezer.set(true);
  // v1 passes through FREEZING while tasks stop; a task stuck in the kernel can hold it there.
  for (const deadline = Date.now() + timeoutMs; !freezer.frozen(); ) {
    if (Date.now() > deadline) {
      freezer.set(false);
      throw new NovaError('TIMEOUT', `the capsule's processes did not freeze within ${timeoutMs / 1000}s; try again, or snapshot it stopped`);
    }
    await sleep(1);
  }
  return async () => freezer.set(false);
}

/** Whether a capsule's processes are frozen now (paused by anyone); undefined when it has none. */
export function capsuleFrozen(layout: CapsuleLayout, cgroup: string): boolean | undefined {
  const pid = Number.parseInt(read(layout.containerPid), 10);
  return pid > 0 ? freezerOf(pid, cgroup)?.frozen() : undefined;
}
