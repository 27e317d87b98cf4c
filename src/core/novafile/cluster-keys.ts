// Checks of the cluster keys (host / ha / placement, docs/cluster.md) that need more than one key:
// an HA item must be able to run on any host, so it is a capsule the cluster restarts, with
// nothing relative to this host's folders.
import type { NovafileIssue } from '../../shared/contract/novafile.js';
import type { NovaFile } from '../../shared/schemas/novafile.js';

type Located = Omit<NovafileIssue, 'file' | 'line' | 'column'> & { at: (string | number)[] };

const relative = (p: string) => p.startsWith('./') || p.startsWith('../') || p === '.' || p === '..';

export function clusterKeyIssues(nf: NovaFile): Located[] {
  const out: Located[] = [];
  const add = (at: (string | number)[], message: string, fix: string) => out.push({ at, path: at.join('.'), message, fix });
  for (const [name, vm] of Object.entries(nf.vm)) {
    if (vm.ha) add(['vm', name, 'ha'], 'ha = true is for containers: an HA VM needs its disks on storage every host reaches, which Nova does not provide yet', 'remove ha (the VM stays on its host), or run the workload as a container');
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
