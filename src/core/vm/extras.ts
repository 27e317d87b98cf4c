// Live extras on a running VM: the memory balloon and display screenshots.
import { copyFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { NovaError } from '../../shared/errors.js';
import type { VmContext } from './context.js';
import { queryBalloon, screendump, setBalloon } from './qmp/commands.js';
import { withQmp } from './qmp/protocol.js';
import { processState } from './state.js';
import { scratchDir } from './confine.js';
import { absolutize, layoutOf, loadRecord, readRuntime, vmDir } from './store.js';
import type { VmRecord } from './store.js';

const MIN_BALLOON = 64 * 1024 * 1024;

async function running(ctx: VmContext, name: string): Promise<VmRecord> {
  const rec = await loadRecord(ctx.paths, name);
  const st = await processState(ctx.paths, rec);
  if (st.state !== 'running') throw new NovaError('CONFLICT', `VM ${name} is ${st.state}; start it first`);
  return rec;
}

export async function balloon(ctx: VmContext, name: string, target?: number): Promise<{ name: string; actual: number; memory: number }> {
  const rec = await running(ctx, name);
  if (!rec.spec.balloon) throw new NovaError('INVALID_INPUT', `VM ${name} has balloon = false; enable it in its spec (takes effect at the next start)`, { field: 'balloon' });
  if (target !== undefined && (target < MIN_BALLOON || target > rec.spec.memory)) {
    throw new NovaError('INVALID_INPUT', `target: pick a size between 64Mi and the VM's memory (${rec.spec.memory} bytes)`, { field: 'target' });
  }
  const actual = await withQmp(layoutOf(ctx.paths, name).qmp, async (q) => {
    if (target !== undefined) await setBalloon(q, target);
    return (await queryBalloon(q)).actual;
  });
  return { name, actual, memory: rec.spec.memory };
}

export async function screenshot(ctx: VmContext, name: string, path?: string): Promise<{ name: string; path: string; bytes: number }> {
  await running(ctx, name);
  const file = path ? absolutize(process.cwd(), path) : join(vmDir(ctx.paths, name), 'screenshot.png');
  if ((await readRuntime(ctx.paths, name))?.runAs) {
    // A root-started QEMU writes as its run-as user: into its scratch folder, then Nova copies.
    const dump = join(scratchDir(ctx.paths, name), `screendump-${process.pid}.png`);
    try {
      await withQmp(layoutOf(ctx.paths, name).qmp, (q) => screendump(q, dump));
      await copyFile(dump, file);
    } finally {
      await rm(dump, { force: true });
    }
  } else {
    await withQmp(layoutOf(ctx.paths, name).qmp, (q) => screendump(q, file));
  }
  return { name, path: file, bytes: (await stat(file)).size };
}
