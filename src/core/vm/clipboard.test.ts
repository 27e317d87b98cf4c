// Clipboard between a VNC client and a real TCG guest run by an ordinary user's engine
// (`clipboard = true`: QEMU 7.2's qemu-vdagent chardev on com.redhat.spice.0). The guest runs
// nova-vdagent, the clipboard half of the spice-vdagent protocol in busybox sh (the test guest has
// no X session, so Debian's spice-vdagent cannot run there). A VNC client (src/test/rfb.ts,
// the extended clipboard the way noVNC speaks it) copies text: the guest's agent receives it
// (read back through the guest agent); text the guest copies reaches the VNC client. A snapshot
// with RAM and a live migration are refused naming clipboard = true (QEMU 7.2 blocks both).
// Not proven here: Debian's spice-vdagent in a desktop guest (same protocol, X11/Wayland side).
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { VmInfo } from '../../shared/contract/vm.js';
import { ensureTestGuest, TEST_GUEST_CMDLINE } from '../../test/guest.js';
import { describeHost } from '../../test/host.js';
import { rfbConnect } from '../../test/rfb.js';
import type { RfbClipboardClient } from '../../test/rfb.js';
import { startUserEngine, userGuestHome } from '../../test/user-engine.js';
import type { UserEngine } from '../../test/user-engine.js';
import { createTestUser } from '../../test/users.js';
import type { HomeUser } from '../../test/users.js';
import { waitFor } from '../../test/wait.js';
import { resolvePaths } from '../sys/paths.js';
import { withQmp } from './qmp/protocol.js';
import { layoutOf } from './store.js';

describeHost('clipboard over VNC with a real TCG guest, as an ordinary user', { root: true, tools: ['qemu-system-x86_64', 'qemu-img', 'qemu-ga', 'apt-get', 'cpio', 'setpriv', 'useradd'] }, () => {
  let user: HomeUser;
  let home: string;
  let engine: UserEngine;
  let vnc: RfbClipboardClient | undefined;
  const call = <T = VmInfo>(m: string, input: unknown) => engine.invoke<T>(m, input);
  const exec = (cmd: string) => call<{ exitCode: number; stdout: string; stderr: string }>('vm.exec', { name: 'clip', command: ['sh', '-c', cmd], timeoutMs: 30_000 });

  beforeAll(async () => {
    user = createTestUser('ncb');
    home = userGuestHome(user, '/tmp/nova-clip-');
    engine = await startUserEngine(user, { NOVA_HOME: home });
  }, 300_000);

  afterAll(async () => {
    vnc?.close();
    if (engine) {
      await call('vm.destroy', { name: 'clip' }).catch(() => undefined);
      await engine.close();
    }
    user?.remove();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('clipboard = true: text copied in a VNC client reaches the guest and back; RAM snapshot and migration refused', async () => {
    const guest = await ensureTestGuest();
    await call('vm.create', {
      name: 'clip',
      spec: { kernel: guest.kernel, initrd: guest.initrd, cmdline: TEST_GUEST_CMDLINE, memory: '192Mi', cpu: 1, network: 'none', clipboard: true, disks: [{ path: join(home, 'clip.qcow2'), size: '16Mi' }] },
    });
    const v = await call('vm.start', { name: 'clip' });
    // The guest finds QEMU's port by its name and opens it (QEMU: the chardev's frontend is open).
    await waitFor('the guest\'s vdagent on com.redhat.spice.0', () => /nova-vdagent on \/dev\/vport\d+p\d+/.test(readFileSync(v.serialLog, 'utf8')), 180_000, 250);
    // The log line comes just before the open() reaches QEMU: wait for the chardev to say so.
    const qmpPath = layoutOf(resolvePaths({ NOVA_HOME: home }), 'clip').qmp;
    const vdagentOpen = async () => {
      const chardevs = await withQmp(qmpPath, (q) => q.execute('query-chardev') as Promise<{ label: string; 'frontend-open': boolean }[]>);
      return chardevs.find((c) => c.label === 'vdagent0')?.['frontend-open'] === true ? true : undefined;
    };
    await waitFor('QEMU sees the vdagent port open', vdagentOpen, 30_000, 250);

    const refused = (m: string, input: unknown) => engine.invoke(m, input).then(() => undefined, (e: unknown) => e as { code?: string; message: string });
    const snap = await refused('vm.snapshot.create', { name: 'clip', tag: 'ram' });
    expect(snap).toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/clipboard = true.*--external.*clipboard = false/) });
    const moved = await refused('vm.migrate', { name: 'clip', to: `home:${join(home, 'elsewhere')}` });
    expect(moved).toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/clipboard = true.*live-migrated/) });
    await waitFor('the guest\'s vdagent and QEMU exchanged capabilities', () => readFileSync(v.serialLog, 'utf8').includes('nova-vdagent: capabilities exchanged'), 60_000, 250);
    await waitFor('the guest agent', async () => ((await call('vm.inspect', { name: 'clip' })).guest?.agent ? true : undefined), 180_000, 1000);

    const { vncSocket } = await call<{ vncSocket: string }>('vm.console', { name: 'clip' });
    vnc = await rfbConnect(vncSocket);
    await waitFor('QEMU announces the extended clipboard', () => vnc!.extended, 10_000, 50);

    // Host → guest: notify, QEMU grabs the guest's clipboard, the guest requests, QEMU asks this client.
    const text = `nova-clip-${process.pid}-é`;
    vnc.copy(text);
    await waitFor('the text in the guest', async () => (await exec('cat /tmp/clipboard 2>/dev/null')).stdout === text, 30_000, 250);
    // A plain (Latin-1) ClientCutText too.
    vnc.copyPlain('plain-cut-text');
    await waitFor('the plain text in the guest', async () => (await exec('cat /tmp/clipboard 2>/dev/null')).stdout === 'plain-cut-text', 30_000, 250);

    // Guest → host: the guest grabs, QEMU notifies this client, which requests and gets the text.
    const back = `from-the-guest-${process.pid}`;
    expect((await exec(`printf '%s' '${back}' > /tmp/clip-grab`)).exitCode).toBe(0);
    expect(await vnc.nextPaste(30_000)).toBe(back);
    await waitFor('the guest\'s log of the reply', () => readFileSync(v.serialLog, 'utf8').includes('nova-vdagent: sent the clipboard to the host'), 10_000, 100);
  }, 400_000);
});
