// Checks of the cluster keys (host / ha / placement, docs/cluster.md) that need more than one key:
// an HA item must be able to run on any host, so it is one the cluster restarts, with nothing
// relative to this host's folders. An HA VM's files must also be inside the cluster's shared
// storage: that needs the cluster's settings, checked when it is placed (`nova up --cluster`).
import type { NovafileIssue } from '../../shared/contract/novafile.js';
import type { NovaFile } from '../../shared/schemas/novafile.js';

type Located = Omit<NovafileIssue, 'file' | 'line' | 'column'> & { at: (string | number)[] };

const relative = (p: string) => p.startsWith('./') || p.startsWith('../') || p === '.' || p === '..';

export function clusterKeyIssues(nf: NovaFile): Located[] {
  const out: Located[] = [];
  const add = (at: (string | number)[], message: string, fix: string) => out.push({ at, path: at.join('.'), message, fix });
  for (const [name, vm] of Object.entries(nf.vm)) {
    if (!vm.ha) continue;
    if (vm.restart !== 'always') add(['vm', name, 'ha'], `ha = true: the cluster restarts this VM on another host when its host dies, which needs restart = "always" (it is "${vm.restart}")`, 'add restart = "always" to this VM');
    const files: [(string | number)[], string][] = [];
    if (vm.image) files.push([['image'], vm.image]);
    vm.disks.forEach((d, i) => {
      if (typeof d === 'string') files.push([['disks', i], d]);
      else {
        files.push([['disks', i], d.path]);
        if (d.backing) files.push([['disks', i], d.backing]);
      }
    });
    (Array.isArray(vm.iso) ? vm.iso : vm.iso ? [vm.iso] : []).forEach((p, i) => files.push([Array.isArray(vm.iso) ? ['iso', i] : ['iso'], p]));
    if (vm.kernel) files.push([['kernel'], vm.kernel]);
    if (vm.initrd) files.push([['initrd'], vm.initrd]);
    for (const [at, p] of files) {
      if (!p.startsWith('/')) add(['vm', name, ...at], `"${p}" is relative to this folder, which another host does not have (ha = true)`, 'use an absolute path inside the cluster\'s shared storage (`nova cluster set --shared-storage /path`), the same on every host');
    }
    if (vm.gpu_passthrough || vm.gpu || vm.usb?.length) add(['vm', name, 'ha'], 'ha = true: an HA VM cannot pass through host devices (GPU, USB): another host has other ones', 'remove ha, or the passthrough');
  }
  for (const [name, c] of Object.entries(nf.container)) {
    if (!c.ha) continue;
    if (c.restart !== 'always') add(['container', name, 'ha'], `ha = true: the cluster restarts this capsule on another host when its host dies, which needs restart = "always" (it is "${c.restart}")`, 'add restart = "always" to this container');
    if (relative(c.capsule)) add(['container', name, 'capsule'], `capsule = "${c.capsule}" is relative to this folder, which another host does not have (ha = true)`, 'use an image reference (pulled or imported on every host) or an absolute path present on every host');
    c.volumes.forEach((v, i) => {
      if (relative(v.split(':')[0]!)) add(['container', name, 'volumes', i], `volume "${v}" is relative to this folder, which another host does not have (ha = true)`, 'use an absolute host path that exists on every host');
    });
  }
  return out;
}
