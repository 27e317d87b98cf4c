// `vm.migrate.host`: a running VM moves with its disks to a remote Nova host. This engine (the
// source) drives both sides: the target's engine defines the VM and waits (vm.xmigrate.receive),
// an `ssh -N` carries the NBD and RAM streams between unix sockets on both hosts (nothing listens
// on the network; `--transport tcp` uses the target's address in clear text, only when asked),
// the source mirrors and migrates, then the target commits and the source releases.
//
// Ownership is handed over through a journal written before anything moves
// (<data>/xmigrate/NAME.json, atomic) and the target's `incoming` record: until the target
// commits, the VM is the source's. After a kill -9 at any step, `vm.migrate.recover` (also run
// before the next migration of that VM) converges: the guest runs on the target → the target
// commits and the source releases; otherwise the target's attempt is removed and the guest keeps
// running here. Exactly one host keeps the definition.
import { randomBytes } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { MigrateOutcome } from '../../shared/contract/xmigrate.js';
import { NovaError } from '../../shared/errors.js';
import { formatBytes } from '../../shared/sizes.js';
import type { EngineContext } from '../context.js';
import { writeJsonAtomic } from '../sys/atomic.js';
import type { VmContext } from '../vm/context.js';
import { queryStatus } from '../vm/qmp/commands.js';
import { withQmp } from '../vm/qmp/protocol.js';
import { findRecord, layoutOf } from '../vm/store.js';
import type { MigrateProgress, SocketAddr } from '../vm/xmigrate/sequence.js';
import { LEASE_RENEW_MS } from '../vm/xmigrate/lease.js';
import { keepVm, outgoingDefinition, releaseVm, sendVm } from '../vm/xmigrate/source.js';
import { gatherPreflight } from './gather.js';
import { preflightProblems } from './preflight.js';
import { openStreamForwards } from './ssh.js';
import type { StreamForwards } from './ssh.js';

/** What the move needs of module.ts's HostPool (named here: importing it would close an import circle). */
interface RemoteCaller {
  call(name: string, method: string, input: unknown, timeoutMs?: number): Promise<unknown>;
}
import { getHost, knownHostsFile } from './store.js';

interface Journal {
  id: string;
  name: string;
  to: string;
  transport: 'ssh' | 'tcp';
  /** preparing → sending → switched (the guest left this QEMU) → committed (the target owns it). */
  phase: 'preparing' | 'sending' | 'switched' | 'committed';
  startedAt: number;
  /** Mirrors this attempt runs: the disks, and a UEFI VM's variable store. */
  disks: number;
  sshPid?: number;
}

export interface MigrateHostInput {
  name: string;
  to: string;
  transport: 'ssh' | 'tcp';
  bandwidth?: number;
  downtimeMs?: number;
}

const journalDir = (e: EngineContext) => join(e.paths.data, 'xmigrate');
const journalFile = (e: EngineContext, name: string) => join(journalDir(e), `${name}.json`);
const writeJournal = (e: EngineContext, j: Journal) => writeJsonAtomic(journalFile(e, j.name), j, { mode: 0o600 });
async function readJournal(e: EngineContext, name: string): Promise<Journal | undefined> {
  const text = await readFile(journalFile(e, name), 'utf8').catch(() => undefined);
  return text ? (JSON.parse(text) as Journal) : undefined;
}

const mib = (n: number) => formatBytes(n);
export function progressLine(p: MigrateProgress): { fraction: number | null; message: string } {
  const part = p.total > 0 ? Math.min(1, p.done / p.total) : 0;
  if (p.phase === 'mirror') return { fraction: part * 0.5, message: `disks ${mib(p.done)} of ${mib(p.total)}` };
  if (p.phase === 'ram') {
    const rate = p.rate ? ` at ${mib(p.rate)}/s` : '';
    const dt = p.expectedDowntimeMs !== undefined ? `, expected downtime ${p.expectedDowntimeMs} ms` : '';
    return { fraction: 0.5 + part * 0.48, message: `RAM ${mib(p.done)} of ${mib(p.total)}${rate}${dt}` };
  }
  return { fraction: 0.99, message: 'switching over' };
}

/** The ssh forwards of this attempt: found by the attempt's socket names (a kill can come before the journal has the pid). */
async function forwardPids(j: Journal): Promise<number[]> {
  const pids = (await readdir('/proc').catch(() => [] as string[])).filter((d) => /^\d+$/.test(d)).map(Number);
  const ours = await Promise.all(pids.map(async (pid) => {
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    return cmd.startsWith('ssh\0') && cmd.includes(`/xm-${j.id}.`) ? pid : 0;
  }));
  return ours.filter((pid) => pid > 0);
}

/** Ends this attempt's ssh forwards and waits until they are gone. */
async function killForward(j: Journal): Promise<void> {
  for (const pid of await forwardPids(j)) process.kill(pid, 'SIGTERM');
  // Gone before recover answers: the user, or the next move, must not meet a live forward.
  for (let i = 0; i < 50 && (await forwardPids(j)).length; i++) await new Promise((r) => setTimeout(r, 100));
  for (const pid of await forwardPids(j)) process.kill(pid, 'SIGKILL');
}

/**
 * Who keeps the VM after an interruption. `here`: the source QEMU's status ('undefined': no
 * definition left, 'gone': defined, no QEMU). The target wins once the guest has left the source
 * (postmigrate, or released after the switch-over) or runs there from this attempt; a committed
 * attempt is the target's. 'missing': the guest left but the target has nothing (inspect by hand).
 */
export function whoKeeps(phase: Journal['phase'], here: string, there: TargetStatus): 'source' | 'target' | 'missing' {
  const runsThere = there.incoming && (there.qmpStatus === 'running' || there.qmpStatus === 'paused');
  // The target proves the guest never ran there and does not hold it whole (its QEMU exited, failed
  // or still loads; it resumes a guest only at commit, recorded first): the copy paused here is the one.
  if (here === 'postmigrate' && phase !== 'committed' && there.incoming && there.resumed === false && !runsThere) return 'source';
  const left = phase === 'committed' || here === 'postmigrate' || (here === 'undefined' && phase === 'switched');
  if (!left && !runsThere) return 'source';
  return there.defined ? 'target' : 'missing';
}

/** What vm.xmigrate.status says of the target's side of an attempt. */
export interface TargetStatus {
  defined: boolean;
  incoming: boolean;
  qmpStatus?: string;
  /** The guest was resumed there (false: it never ran there; unknown from an older target). */
  resumed?: boolean;
  /** The attempt's QEMU is gone there. */
  exited?: boolean;
}

export class CrossHostMigrator {
  constructor(
    private engine: EngineContext,
    private pool: RemoteCaller,
    private vm: () => VmContext,
  ) {}

  private remote<T>(to: string, method: string, input: unknown, timeoutMs = 60_000): Promise<T> {
    return this.pool.call(to, method, input, timeoutMs) as Promise<T>;
  }

  async migrate(i: MigrateHostInput, signal?: AbortSignal): Promise<MigrateOutcome> {
    const e = this.engine;
    if (await readJournal(e, i.name)) {
      const [r] = (await this.recover(i.name)).items;
      if (r?.outcome !== 'kept-here') throw new NovaError('CONFLICT', `VM ${i.name}: an earlier migration to ${r?.to ?? '?'} is ${r?.outcome ?? 'pending'} (${r?.reason ?? ''}); run \`nova migrate recover ${i.name}\` once that host is reachable`);
    }
    const facts = await gatherPreflight(e, (m) => this.remote(i.to, m, {}, 15_000), i.name, i.to);
    const problems = preflightProblems(facts);
    if (problems.length) throw new NovaError('CONFLICT', `cannot migrate ${i.name} to ${i.to}:\n${problems.map((p) => `  - ${p}`).join('\n')}`, { problems });
    const host = await getHost(e.paths, i.to);
    if (i.transport === 'tcp' && !/^[0-9a-fA-F.:]+$/.test(host.address)) throw new NovaError('INVALID_INPUT', `transport: tcp needs host ${i.to}'s IP address, its URL names ${host.address} (use ssh)`, { field: 'transport' });
    const def = await outgoingDefinition(this.vm(), i.name);
    const j: Journal = { id: randomBytes(8).toString('hex'), name: i.name, to: i.to, transport: i.transport, phase: 'preparing', startedAt: Date.now(), disks: def.disks.length + (def.firmware ? 1 : 0) };
    await writeJournal(e, j);
    return e.tasks.run(`migrate VM ${i.name} → host ${i.to}`, async (task) => {
      let fwd: StreamForwards | undefined;
      let alive: NodeJS.Timeout | undefined;
      try {
        task.progress(null, `preparing ${i.to}`);
        const ready = await this.remote<{ nbd: SocketAddr; ram: SocketAddr; exports: { node: string; exportName: string; sync?: 'full' | 'top' }[] }>(i.to, 'vm.xmigrate.receive', {
          ...def, id: j.id, from: hostname(), listen: i.transport === 'ssh' ? { kind: 'unix' } : { kind: 'tcp', host: host.address },
        }, 180_000);
        // The target settles the attempt by itself if these renewals stop (this process killed, this host gone).
        alive = setInterval(() => void this.remote(i.to, 'vm.xmigrate.alive', { name: i.name, id: j.id }, LEASE_RENEW_MS * 2).catch(() => undefined), LEASE_RENEW_MS);
        let nbd = ready.nbd;
        let ram = ready.ram;
        if (i.transport === 'ssh') {
          if (!('path' in ready.nbd) || !('path' in ready.ram)) throw new NovaError('INTERNAL', `host ${i.to} did not offer unix sockets for the ssh transport`);
          const dir = join(e.paths.runtime, 'hosts');
          nbd = { path: join(dir, `xm-${j.id}.nbd`) };
          ram = { path: join(dir, `xm-${j.id}.ram`) };
          fwd = await openStreamForwards(i.to, host, knownHostsFile(e.paths), [{ local: nbd.path, remote: ready.nbd.path }, { local: ram.path, remote: ready.ram.path }]);
          if (fwd.child.pid) j.sshPid = fwd.child.pid;
        }
        task.signal.throwIfAborted();
        await writeJournal(e, { ...j, phase: 'sending' });
        const out = await sendVm(this.vm(), i.name, {
          nbd, ram, exports: ready.exports, signal: task.signal,
          ...(i.bandwidth ? { bandwidthBytesPerSec: i.bandwidth } : {}),
          ...(i.downtimeMs ? { downtimeLimitMs: i.downtimeMs } : {}),
          onProgress: (p) => {
            const l = progressLine(p);
            task.progress(l.fraction, l.message);
          },
        });
        // The guest has left this QEMU (postmigrate) and waits, paused, on the target: the target
        // resumes it at commit (first, the forward can go after), or proves it never ran there.
        await writeJournal(e, { ...j, phase: 'switched' });
        const switched = performance.now();
        await this.commit(j, out.wasRunning);
        const resumeMs = Math.round(performance.now() - switched);
        await fwd?.close();
        fwd = undefined;
        const released = await releaseVm(this.vm(), i.name, i.to);
        await rm(journalFile(e, i.name), { force: true });
        return { name: i.name, to: i.to, transport: i.transport, totalMs: out.totalMs + resumeMs, ...(out.downtimeMs !== undefined ? { downtimeMs: out.downtimeMs + resumeMs } : {}), ...(out.ramBytes !== undefined ? { ramBytes: out.ramBytes } : {}), diskBytes: out.diskBytes, removedDisks: released.removedDisks };
      } catch (err) {
        await fwd?.close().catch(() => undefined);
        const settled = await this.settle({ ...j, ...(await readJournal(e, i.name)) }).catch((x: Error) => ({ outcome: 'pending', reason: x.message }));
        if (settled.outcome === 'moved') throw new NovaError('INTERNAL', `VM ${i.name} reached ${i.to} but the last step failed (${(err as Error).message}); it runs on ${i.to} now`);
        // Say where the VM is now, whatever failed.
        const x = err as NovaError;
        throw new NovaError(x.code ?? 'INTERNAL', `${x.message} — ${settled.reason}`, x.details);
      } finally {
        clearInterval(alive);
      }
    }, signal ? { signal } : {});
  }

  /**
   * Target commit, retried while the host reconnects (its answer may have been lost) — never when
   * the target answered with a verdict (its QEMU exited, failed to load or never finished).
   */
  private async commit(j: Journal, resume = true): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.remote(j.to, 'vm.xmigrate.commit', { name: j.name, id: j.id, resume }, 60_000);
        await writeJournal(this.engine, { ...j, phase: 'committed' });
        return;
      } catch (err) {
        const x = err as NovaError;
        if (attempt >= 3 || x.code === 'CONFLICT' || (x.details as { verdict?: string } | undefined)?.verdict) throw err;
        await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
      }
    }
  }

  /** Decides who keeps the VM after an interruption, and makes it so. */
  private async settle(j: Journal): Promise<{ outcome: 'kept-here' | 'moved' | 'pending'; reason: string }> {
    const e = this.engine;
    await killForward(j).catch(() => undefined);
    const rec = await findRecord(e.paths, j.name);
    const here = rec ? await withQmp(layoutOf(e.paths, j.name).qmp, queryStatus, { greetingTimeoutMs: 3000 }).then((s) => s.status as string, () => 'gone') : 'undefined';
    let there: TargetStatus;
    try {
      there = await this.remote(j.to, 'vm.xmigrate.status', { name: j.name, id: j.id }, 15_000);
    } catch (err) {
      return { outcome: 'pending', reason: `host ${j.to} does not answer (${(err as Error).message}); this VM is ${here} here` };
    }
    const verdict = whoKeeps(j.phase, here, there);
    if (verdict === 'missing') return { outcome: 'pending', reason: `the guest left this host (${here}) but ${j.to} has no VM ${j.name}: nothing is removed here, inspect both hosts` };
    if (verdict === 'target') {
      if (there.incoming) await this.commit(j);
      await releaseVm(this.vm(), j.name, j.to);
      await rm(journalFile(e, j.name), { force: true });
      return { outcome: 'moved', reason: `the guest runs on ${j.to}` };
    }
    // The target's attempt goes first (cancel refuses once the guest ran there): only then may a
    // guest that completed its switch-over resume here.
    if (there.incoming) await this.remote(j.to, 'vm.xmigrate.cancel', { name: j.name, id: j.id }, 60_000);
    const switched = here === 'postmigrate';
    const why = there.exited ? `its QEMU on ${j.to} exited before the guest ran there` : `the guest never ran on ${j.to} (${there.qmpStatus ?? 'its QEMU did not answer'})`;
    if (rec && here !== 'gone') await keepVm(this.vm(), j.name, j.disks, switched ? { neverRanThere: true, why: `resumed after a failed switch-over to ${j.to}` } : {});
    await rm(journalFile(e, j.name), { force: true });
    const me = hostname();
    if (here === 'gone') return { outcome: 'kept-here', reason: `VM ${j.name} stays defined on this host (${me}) but its QEMU is gone; ${j.to} has nothing of it` };
    if (switched) return { outcome: 'kept-here', reason: `${why}: VM ${j.name} was resumed and runs on this host (${me}); ${j.to} has nothing of it` };
    return { outcome: 'kept-here', reason: `VM ${j.name} keeps running on this host (${me}); ${j.to} has nothing of it` };
  }

  async recover(name?: string): Promise<{ items: { name: string; to: string; outcome: 'kept-here' | 'moved' | 'pending'; reason: string }[] }> {
    const names = name ? [name] : (await readdir(journalDir(this.engine)).catch(() => [] as string[])).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5));
    const items = [];
    for (const n of names) {
      const j = await readJournal(this.engine, n);
      if (!j) continue;
      items.push({ name: n, to: j.to, ...(await this.settle(j)) });
    }
    return { items };
  }
}
