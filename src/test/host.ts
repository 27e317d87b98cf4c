// Test helpers shared by every backend: skip reasons for host-level tests, temp NOVA_HOMEs.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'vitest';
import { createEngine } from '../core/engine.js';
import type { Engine, EngineModule, EngineOptions } from '../core/engine.js';
import { resolvePaths } from '../core/sys/paths.js';
import { TEST_GUEST_DIR } from './guest.js';

export interface HostNeeds {
  root?: boolean;
  tools?: string[];
  /** Files a test needs (firmware, …), by absolute path. */
  files?: string[];
}

const hasTool = (t: string) => {
  try {
    execFileSync('sh', ['-c', 'command -v "$1"', 'sh', t], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/** The one-line reason a host test cannot run here, or undefined when it can. */
export function missing(needs: HostNeeds): string | undefined {
  if (needs.root && process.getuid?.() !== 0) return 'needs root';
  const absent = [...(needs.tools ?? []).filter((t) => !hasTool(t)), ...(needs.files ?? []).filter((f) => !existsSync(f))];
  return absent.length ? `needs ${absent.join(', ')} (scripts/install-host-deps.sh provides them, run as root)` : undefined;
}

/** describe() that skips with a visible reason when root or a tool is missing (CI has both). */
export function describeHost(name: string, needs: HostNeeds, fn: () => void): void {
  const reason = missing(needs);
  describe.skipIf(reason !== undefined)(reason ? `${name} — skipped: ${reason}` : name, fn);
}

export interface TempHome {
  dir: string;
  env: NodeJS.ProcessEnv;
  engine(opts?: EngineOptions, modules?: EngineModule[]): Engine;
  cleanup(): Promise<void>;
}

/** A throwaway NOVA_HOME (short path: unix sockets live under it). */
export async function tempHome(prefix = 'nova-'): Promise<TempHome> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const env = { ...process.env, NOVA_HOME: dir };
  // The shared test guest's folder is allowed here as a user allows theirs (nova config allow-root).
  await mkdir(join(dir, 'config'));
  await writeFile(join(dir, 'config', 'prefs.json'), JSON.stringify({ allowedRoots: [TEST_GUEST_DIR] }), { mode: 0o600 });
  const engines: Engine[] = [];
  return {
    dir,
    env,
    engine(opts = {}, modules) {
      const e = createEngine({ env, paths: resolvePaths(env), ...opts }, modules);
      engines.push(e);
      return e;
    },
    async cleanup() {
      for (const e of engines) await e.close();
      // A request still under way when the test ends (a host probe) may write one more file.
      await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    },
  };
}
