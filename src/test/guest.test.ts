import { existsSync, statSync } from 'node:fs';
import { expect, it } from 'vitest';
import { describeHost } from './host.js';
import { ensureTestGuest } from './guest.js';

describeHost('test guest', { tools: ['apt-get', 'dpkg-deb', 'cpio', 'busybox'] }, () => {
  it('builds (or reuses) a kernel and an initramfs', async () => {
    const g = await ensureTestGuest();
    expect(existsSync(g.kernel)).toBe(true);
    expect(statSync(g.initrd).size).toBeGreaterThan(100_000);
    expect(await ensureTestGuest()).toEqual(g);
  });
});
