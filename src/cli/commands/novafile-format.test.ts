import { describe, expect, it } from 'vitest';
import type { ProjectPlan, UpResult } from '../../shared/contract/novafile-apply.js';
import { formatPlan, formatUp } from './novafile.js';

const plan: ProjectPlan = {
  file: '/lab/NovaFile',
  project: 'lab',
  changes: [
    { kind: 'network', name: 'lan', action: 'create', reasons: ['not on this host yet'], fields: [], drift: false, needs: [] },
    { kind: 'vm', name: 'web', action: 'update', reasons: ['memory: 256 MiB → 512 MiB (restarts it)'], fields: ['memory'], drift: false, needs: ['network/lan'] },
    { kind: 'capsule', name: 'db', action: 'noop', reasons: [], fields: [], drift: false, needs: [] },
    { kind: 'vm', name: 'gpu', action: 'create', reasons: ['not on this host yet'], fields: [], drift: false, needs: [], blocked: 'GPU passthrough is not possible on this host: no GPU' },
    { kind: 'capsule', name: 'old', action: 'delete', reasons: ['no longer declared in NovaFile'], fields: [], drift: false, needs: [] },
  ],
  errors: [{ kind: 'vm', name: 'gpu', path: 'vm.gpu.gpu_passthrough', category: 'host-limit', message: 'GPU passthrough is not possible on this host: no GPU', fix: 'set gpu_passthrough = false', line: 9, column: 1 }],
  summary: { create: 1, update: 1, replace: 0, start: 0, delete: 1, noop: 1, blocked: 1 },
  converged: false,
};

describe('nova plan / up human output', () => {
  it('shows one line per change with its sign and reason, errors with file:line and the fix, and a summary', () => {
    const text = formatPlan(plan);
    expect(text.split('\n')).toEqual([
      'Project lab (/lab/NovaFile)',
      '    + network lan  create   not on this host yet',
      '    ~ vm web       update   memory: 256 MiB → 512 MiB (restarts it)',
      '    ! vm gpu       blocked  GPU passthrough is not possible on this host: no GPU',
      '    - capsule old  delete   no longer declared in NovaFile',
      '',
      'Errors (1) — `nova up` refuses these; `nova up --partial` applies everything else:',
      '  /lab/NovaFile:9:1: vm.gpu.gpu_passthrough: GPU passthrough is not possible on this host: no GPU',
      '      fix: set gpu_passthrough = false',
      '',
      'Plan: 1 to create, 1 to update, 0 to replace, 0 to start, 1 to delete, 1 unchanged, 1 blocked.',
    ]);
    expect(formatPlan(plan, { showNoop: true })).toContain('= capsule db');
    expect(formatPlan({ ...plan, changes: [], errors: [], converged: true })).toMatch(/No changes: the host matches the NovaFile\.$/);
  });

  it('repeats only failed or skipped items after live progress, and always the summary', () => {
    const r: UpResult = {
      plan, ok: false, message: '1 done, 1 failed', durationMs: 2500,
      applied: [
        { kind: 'network', name: 'lan', action: 'create', status: 'done', durationMs: 400 },
        { kind: 'vm', name: 'web', action: 'update', status: 'failed', message: 'qemu: cannot allocate memory', durationMs: 900 },
      ],
    };
    expect(formatUp(r, { liveShown: true }).split('\n')).toEqual([
      'Project lab:',
      '  ✗ update vm web: qemu: cannot allocate memory',
      '  ! vm gpu left out: GPU passthrough is not possible on this host: no GPU',
      'Finished with errors: project lab: 1 done, 1 failed in 2.5s.',
    ]);
    expect(formatUp(r)).toContain('✓ create network lan (0.4s)');
  });
});
