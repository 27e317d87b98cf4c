// The project's own record: what the last `up` applied (specs, for "you removed this key"
// diffs) and whether an `up` is in progress. It holds env values, so it is written 0600.
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import { readJson, writeJsonAtomic } from '../sys/atomic.js';
import type { NovaPaths } from '../sys/paths.js';
import { pidAlive } from '../sys/proc.js';
import type { AppliedState } from './model.js';

export const projectsDir = (p: NovaPaths) => join(p.data, 'projects');
export const stateFile = (p: NovaPaths, project: string) => join(projectsDir(p), `${project}.json`);

export const SECRET_MODE = 0o600;

export async function readState(paths: NovaPaths, project: string): Promise<AppliedState> {
  return readJson<AppliedState>(stateFile(paths, project), { project, items: {} });
}

/** "…was killed (pid 123, started 12:01:02)" when a previous `up` never finished. */
export function interruptedNote(state: AppliedState): string | undefined {
  const r = state.running;
  if (!r || r.pid === process.pid || pidAlive(r.pid)) return undefined;
  return `the previous \`nova up\` (pid ${r.pid}, started ${new Date(r.startedAt).toISOString()}) did not finish; this run converges what it left`;
}

/**
 * Serialized writer for one `up`: parallel items record themselves without racing each other.
 */
export class StateWriter {
  private chain: Promise<void> = Promise.resolve();
  constructor(
    private paths: NovaPaths,
    private state: AppliedState,
  ) {}

  private write(): Promise<void> {
    const snapshot = JSON.parse(JSON.stringify(this.state)) as AppliedState;
    this.chain = this.chain.then(() => writeJsonAtomic(stateFile(this.paths, snapshot.project), snapshot, { mode: SECRET_MODE }));
    return this.chain;
  }

  begin(startedAt: number): Promise<void> {
    this.state.running = { pid: process.pid, startedAt };
    return this.write();
  }

  applied(id: string, spec: unknown, at: number): Promise<void> {
    this.state.items[id] = { appliedAt: at, spec };
    return this.write();
  }

  removed(id: string): Promise<void> {
    delete this.state.items[id];
    return this.write();
  }

  async finish(): Promise<void> {
    delete this.state.running;
    await this.write();
  }
}

export async function removeState(paths: NovaPaths, project: string): Promise<void> {
  await rm(stateFile(paths, project), { force: true });
}
