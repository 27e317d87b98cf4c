// The win11 preset's firmware wiring on a real QEMU under TCG: OVMF Secure Boot code + the
// per-VM MS-enrolled vars copy, smm, swtpm TPM 2.0 started before QEMU and stopped after it.
// No OS boots: QMP "running" and query-tpm listing the TPM prove the wiring (secboot.test.ts
// boots a signed chain on this preset and shows an unsigned loader refused).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../engine.js';
import type { VmInfo } from '../../shared/contract/vm.js';
import { describeHost, tempHome } from '../../test/host.js';
import type { TempHome } from '../../test/host.js';
import { pidAlive, readPidFile } from '../sys/proc.js';
import { queryTpm } from './qmp/commands.js';
import { withQmp } from './qmp/protocol.js';
import { layoutOf } from './store.js';
import { waitFor } from '../../test/wait.js';

const running = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

describeHost('win11 preset: UEFI Secure Boot + swtpm on real QEMU', { root: true, tools: ['qemu-system-x86_64', 'qemu-img', 'swtpm'] }, () => {
  let home: TempHome;
  let e: Engine;
  let qemuPid: number | undefined;
  let tpmPid: number | undefined;

  beforeAll(async () => {
    home = await tempHome('nova-win-');
    e = home.engine();
  });
  afterAll(async () => {
    await e.dispatcher.invoke('vm.destroy', { name: 'w11' }).catch(() => undefined);
    for (const p of [qemuPid, tpmPid]) if (p && pidAlive(p)) process.kill(p, 'SIGKILL');
    await home.cleanup();
  });

  it('starts OVMF secboot with the MS vars copy and a TPM 2.0 that QEMU lists; swtpm stops with QEMU', async () => {
    const w = await e.dispatcher.call('vm.wizard', { name: 'w11', preset: 'win11', memory: '256Mi', cpu: 1, diskSize: '64Mi' });
    expect(w.ok).toBe(true);
    const spec = { ...(w.ok ? (w.value as { spec: Record<string, unknown> }).spec : {}), network: 'none', disks: [{ path: join(home.dir, 'w11.qcow2'), size: '64Mi' }] };
    await e.dispatcher.invoke('vm.create', { name: 'w11', spec });
    const v = (await e.dispatcher.invoke('vm.start', { name: 'w11' })) as VmInfo;
    qemuPid = v.pid;
    expect(v.state).toBe('running');
    expect(v.uefi && v.secureBoot && v.tpm).toBe(true);
    const l = layoutOf(e.paths, 'w11');
    tpmPid = await readPidFile(l.swtpmPid);
    expect(tpmPid && pidAlive(tpmPid)).toBe(true);
    const argv = readFileSync(`/proc/${v.pid}/cmdline`, 'utf8').split('\0');
    expect(argv.join(' ')).toContain('OVMF_CODE_4M.secboot.fd');
    expect(statSync(l.varsFile).size).toBe(statSync('/usr/share/OVMF/OVMF_VARS_4M.ms.fd').size);
    const tpms = await withQmp(l.qmp, queryTpm);
    expect(tpms).toEqual([expect.objectContaining({ id: 'tpm0', model: 'tpm-crb', options: expect.objectContaining({ type: 'emulator' }) })]);
    const stopped = (await e.dispatcher.invoke('vm.stop', { name: 'w11', force: true })) as VmInfo;
    expect(stopped.state).toBe('stopped');
    // swtpm exits with QEMU (a zombie until init reaps it counts as gone).
    await waitFor('swtpm gone', () => !running(tpmPid!), 5000);
    expect(existsSync(l.tpmSocket)).toBe(false);
  }, 120_000);
});
