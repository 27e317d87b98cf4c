// Host limits become plan-time errors, never crashes in the middle of `up`: a GPU VM on a host
// without a usable GPU, an overlay driver this host cannot run, a file the NovaFile points at
// that is not there. Pure: the facts are gathered once by facts.ts.
import type { PlanIssue } from '../../shared/contract/novafile-apply.js';
import type { NetworkSpec, VmSpec } from '../../shared/schemas/novafile.js';
import type { DeclaredItem, HostFacts, ObservedItem } from './model.js';

type Issue = Omit<PlanIssue, 'line' | 'column'>;

export function hostLimitIssues(item: DeclaredItem, facts: HostFacts): Issue[] {
  const out: Issue[] = [];
  if (item.kind === 'vm') {
    const vm = item.spec as VmSpec;
    if (vm.gpu_passthrough || vm.gpu) {
      const v = facts.gpu[item.name] ?? { ok: false, reason: 'no GPU backend answered' };
      if (!v.ok) {
        out.push({
          kind: 'vm', name: item.name, category: 'host-limit',
          path: `vm.${item.name}.${vm.gpu_passthrough ? 'gpu_passthrough' : 'gpu'}`,
          message: `GPU passthrough is not possible on this host: ${v.reason}`,
          fix: v.fix ?? 'set gpu_passthrough = false, or run `nova up --partial` to apply everything else',
        });
      }
    }
  }
  if (item.kind === 'network') {
    const net = item.spec as NetworkSpec;
    if (net.type === 'overlay' && net.driver) {
      const v = facts.overlay[net.driver];
      if (!v.ok) {
        out.push({
          kind: 'network', name: item.name, category: 'host-limit', path: `network.${item.name}.driver`,
          message: `overlay driver "${net.driver}" is not available on this host: ${v.reason}`,
          fix: v.fix ?? 'use driver = "vxlan", or run `nova up --partial` to apply everything else',
        });
      }
    }
  }
  for (const m of facts.missingFiles) {
    if (!m.path.startsWith(`${item.section}.${item.name}.`)) continue;
    out.push({
      kind: item.kind, name: item.name, category: 'missing-file', path: m.path,
      message: `${m.file} does not exist`,
      fix: 'fix the path (relative paths resolve against the NovaFile\'s folder) or create the file',
    });
  }
  return out;
}

/** A declared name already used on the host by something this project did not create. */
export function conflictIssue(item: DeclaredItem, observed: ObservedItem | undefined, project: string): Issue | undefined {
  if (!observed || observed.project === project) return undefined;
  const owner = observed.project ? `project "${observed.project}"` : 'no project (created by hand)';
  return {
    kind: item.kind, name: item.name, category: 'conflict', path: `${item.section}.${item.name}`,
    message: `a ${item.kind} named "${item.name}" already exists and belongs to ${owner}`,
    fix: `rename it in this NovaFile, or remove the existing one (\`nova ${item.kind === 'capsule' ? 'capsule rm' : item.kind === 'vm' ? 'vm delete' : 'net rm'} ${item.name}\`)`,
  };
}
