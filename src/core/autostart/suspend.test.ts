// Host shutdown with NOVA_ON_SHUTDOWN=suspend: a running TCG guest is saved to its disk (internal
// snapshot nova-host-suspend) and quit; the next boot's `autostart start` resumes it where it was
// (its serial counter carries on instead of starting again) and drops the snapshot. Also as an
// ordinary user (a user's engine, the user unit's case). And the user unit passes systemd-analyze.
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AutostartOutcome } from '../../shared/contract/autostart.js';
import type { VmInfo } from '../../shared/contract/vm.js';
import { ensureTestGuest, TEST_GUEST_CMDLINE } from '../../test/guest.js';
import { describeHost, tempHome } from '../../test/host.js';
import type { TempHome } from '../../test/host.js';
import { waitFor } from '../../test/wait.js';
import { pidAlive } from '../sys/proc.js';
import { SUSPEND_TAG } from './guests.js';

const run = promisify(execFile);
const USER_UNIT = join(import.meta.dirname, '../../../resources/systemd/user/nova-guests.service');

describeHost('nova-guests.service (user unit)', { tools: ['systemd-analyze'] }, () => {
  it('passes systemd-analyze verify --user and offers suspend at shutdown', async () => {
    const text = await readFile(USER_UNIT, 'utf8');
    expect(text).toMatch(/^ExecStop=\/usr\/bin\/nova autostart stop --timeout 90 --action \$\{NOVA_ON_SHUTDOWN\}$/m);
    expect(text).toMatch(/^EnvironmentFile=-%E\/nova\/guests\.env$/m);
    expect(text).toMatch(/^WantedBy=default\.target$/m);
    const dir = await mkdtemp(join(tmpdir(), 'npv-uunit-'));
    try {
      await chmod(dir, 0o755);
      await writeFile(join(dir, 'nova'), '#!/bin/sh\n', { mode: 0o755 });
      await writeFile(join(dir, 'nova-guests.service'), text.replaceAll('/usr/bin/nova', join(dir, 'nova')), { mode: 0o644 });
      const r = await run('systemd-analyze', ['--user', 'verify', join(dir, 'nova-guests.service')]).catch((e: { stderr: string }) => ({ stdout: '', stderr: e.stderr }));
      expect(r.stderr.split('\n').filter((l) => l.includes('nova-guests'))).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describeHost('autostart: suspend-to-disk at shutdown, resume at boot (real TCG guest)', { root: true, tools: ['qemu-system-x86_64', 'qemu-img', 'apt-get', 'cpio'] }, () => {
  let home: TempHome;
  const pids = new Set<number>();
  beforeAll(async () => {
    home = await tempHome('npv-susp-');
  });
  afterAll(async () => {
    const e = home.engine();
    await e.dispatcher.invoke('vm.destroy', { name: 'npvs' }).catch(() => undefined);
    for (const p of pids) if (pidAlive(p)) process.kill(p, 'SIGKILL');
    await home.cleanup();
  });

  const counters = (text: string) => [...text.matchAll(/nova-counter (\d+)/g)].map((m) => Number(m[1]));

  it('saves the running guest, quits it, and brings it back where it was', async () => {
    const guest = await ensureTestGuest();
    const e = home.engine();
    const call = <T>(m: string, i: unknown) => e.dispatcher.invoke(m, i) as Promise<T>;
    // Not autostart: a VM suspended at shutdown comes back anyway (it was running).
    await call('vm.create', { name: 'npvs', spec: { kernel: guest.kernel, initrd: guest.initrd, cmdline: `${TEST_GUEST_CMDLINE} nova.noqga`, memory: '128Mi', cpu: 1, network: 'none', disks: [{ path: 'npvs.qcow2', size: '64Mi' }] } });
    const v = await call<VmInfo>('vm.start', { name: 'npvs' });
    if (v.pid) pids.add(v.pid);
    // 12 s of counting: a fresh boot could not print a counter that high within the check below.
    await waitFor('the guest counted to 12', async () => counters(await readFile(v.serialLog, 'utf8')).some((n) => n >= 12), 180_000, 500);
    const stopped = (await call<{ items: AutostartOutcome[] }>('autostart.stop', { timeoutMs: 30_000, action: 'suspend' })).items;
    expect(stopped).toEqual([expect.objectContaining({ kind: 'vm', name: 'npvs', result: 'suspended' })]);
    expect((await call<VmInfo>('vm.inspect', { name: 'npvs' })).state).toBe('stopped');
    const saved = Math.max(...counters(await readFile(v.serialLog, 'utf8')));
    const snaps = await call<{ snapshots: { tag: string; vmStateSize: number }[] }>('vm.snapshot.list', { name: 'npvs' });
    expect(snaps.snapshots.find((s) => s.tag === SUSPEND_TAG)?.vmStateSize).toBeGreaterThan(0);

    const mark = (await readFile(v.serialLog, 'utf8')).length;
    const started = (await call<{ items: AutostartOutcome[] }>('autostart.start', {})).items;
    expect(started).toEqual([expect.objectContaining({ kind: 'vm', name: 'npvs', result: 'resumed' })]);
    const r = await call<VmInfo>('vm.inspect', { name: 'npvs' });
    if (r.pid) pids.add(r.pid);
    expect(r.state).toBe('running');
    // The counter carries on from the saved state: the first one printed after the resume follows
    // the saved value (a fresh boot would start again at 1).
    const first = await waitFor('a counter after the resume', async () => counters((await readFile(v.serialLog, 'utf8')).slice(mark))[0], 60_000, 250);
    expect(first).toBeGreaterThanOrEqual(saved);
    expect((await call<{ snapshots: { tag: string }[] }>('vm.snapshot.list', { name: 'npvs' })).snapshots.map((s) => s.tag)).not.toContain(SUSPEND_TAG);
    // Nothing left to resume: a second boot start leaves it alone.
    expect((await call<{ items: AutostartOutcome[] }>('autostart.start', {})).items).toEqual([]);
    await call('vm.stop', { name: 'npvs', force: true });
  }, 400_000);
});
