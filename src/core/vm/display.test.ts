// Dynamic display resize on a real TCG guest run by an ordinary user's engine. A Linux VM gets
// virtio-vga by default: a VNC client's SetDesktopSize (what noVNC's resizeSession sends when the
// console's window changes size) reaches the guest's virtio-gpu driver, which offers the new size as
// its preferred mode; the guest's console (fbcon) switches to it and QEMU tells the client the new
// framebuffer size. The test guest on Debian's generic kernel has virtio-gpu (the cloud kernel has
// no DRM). A VM with display = "vga" keeps standard VGA: QEMU refuses the request (the app's console
// then scales the picture instead). Not proven here: a desktop session's own resize (GNOME/KDE on
// virtio-gpu follow the same preferred mode) and growing past the size fbcon started with.
import { rmSync } from 'node:fs';
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

describeHost('display resize over VNC with a real TCG guest, as an ordinary user', { root: true, tools: ['qemu-system-x86_64', 'qemu-ga', 'apt-get', 'cpio', 'setpriv', 'useradd'] }, () => {
  let user: HomeUser;
  let home: string;
  let engine: UserEngine;
  const clients: RfbClipboardClient[] = [];
  const call = <T = VmInfo>(m: string, input: unknown) => engine.invoke<T>(m, input);
  const exec = (cmd: string) => call<{ exitCode: number; stdout: string }>('vm.exec', { name: 'wide', command: ['sh', '-c', cmd], timeoutMs: 30_000 });
  const vnc = async (name: string) => {
    const c = await rfbConnect((await call<{ vncSocket: string }>('vm.console', { name })).vncSocket);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    user = createTestUser('ngu');
    home = userGuestHome(user, '/tmp/nova-display-');
    engine = await startUserEngine(user, { NOVA_HOME: home });
  }, 300_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    if (engine) {
      for (const n of ['wide', 'flat']) await call('vm.destroy', { name: n }).catch(() => undefined);
      await engine.close();
    }
    user?.remove();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('virtio-vga (the default): the guest takes the size a VNC client asks for; display = "vga" refuses it', async () => {
    const guest = await ensureTestGuest('generic');
    const spec = { kernel: guest.kernel, initrd: guest.initrd, memory: '256Mi', cpu: 1, network: 'none' };
    await call('vm.create', { name: 'wide', spec: { ...spec, cmdline: TEST_GUEST_CMDLINE } });
    await call('vm.create', { name: 'flat', spec: { ...spec, cmdline: `${TEST_GUEST_CMDLINE} nova.noqga`, display: 'vga' } });
    await call('vm.start', { name: 'wide' });
    // The guest's virtio-gpu driver is up once its connector lists modes (read through the agent).
    const modes = async () => (await exec('cat /sys/class/drm/card0-Virtual-1/modes 2>/dev/null')).stdout.split('\n').filter(Boolean);
    await waitFor('the guest agent and virtio-gpu\'s connector', async () => ((await modes().catch(() => [])).length ? true : undefined), 240_000, 1000);
    const client = await vnc('wide');
    // fbcon took the driver's first preferred mode (virtio-gpu's default 1280x800).
    await client.waitSize(1280, 800, 30_000);

    client.setDesktopSize(800, 600);
    await client.waitSize(800, 600, 60_000);
    expect(client.resizeAnswers[0]).toBe(4); // QEMU: request forwarded to the guest
    expect((await modes())[0]).toBe('800x600'); // the guest's preferred mode now
    client.setDesktopSize(1024, 768);
    await client.waitSize(1024, 768, 60_000);
    expect((await modes())[0]).toBe('1024x768');

    await call('vm.start', { name: 'flat' });
    const flat = await vnc('flat');
    const before = { ...flat.size };
    flat.setDesktopSize(800, 600);
    await waitFor('QEMU\'s answer for standard VGA', () => (flat.resizeAnswers.length ? true : undefined), 10_000, 50);
    expect(flat.resizeAnswers).toEqual([3]); // invalid screen layout: VGA cannot follow a client
    expect(flat.size).toEqual(before);
  }, 400_000);
});
