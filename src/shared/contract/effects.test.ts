import { describe, expect, it } from 'vitest';
import { procedures } from '../contract.js';
import { effectOf } from './effects.js';

describe('procedure effects', () => {
  it('reads are reads, and what changes the host is not', () => {
    for (const m of ['host.info', 'resource.list', 'vm.inspect', 'network.list', 'gpu.diagnose', 'novafile.plan']) expect(effectOf(m).readOnly, m).toBe(true);
    for (const m of ['vm.start', 'vm.delete', 'novafile.up', 'gpu.bind', 'vm.balloon', 'capsule.exec', 'terminal.open', 'prefs.set']) expect(effectOf(m).readOnly, m).toBe(false);
  });

  it('marks deletes and stops destructive and starts idempotent', () => {
    expect(effectOf('vm.delete')).toMatchObject({ destructive: true, idempotent: true });
    expect(effectOf('vm.stop').destructive).toBe(true);
    expect(effectOf('vm.start')).toMatchObject({ destructive: false, idempotent: true });
    expect(effectOf('vm.create')).toMatchObject({ destructive: false, idempotent: false });
  });

  it('an unknown verb is a write, never a read', () => {
    expect(effectOf('vm.frobnicate').readOnly).toBe(false);
  });

  it('every read procedure of the contract really has a read verb (spot the misnamed)', () => {
    const reads = Object.keys(procedures).filter((m) => effectOf(m).readOnly);
    expect(reads.length).toBeGreaterThan(20);
    expect(reads).not.toContain('vm.balloon');
  });
});
