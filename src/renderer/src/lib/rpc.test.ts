import { describe, expect, it } from 'vitest';
import { NovaError } from '../../../shared/errors.js';
import { asList, errorText, isMissingBackend } from './rpc';

describe('isMissingBackend', () => {
  it('is true only for the dispatcher answers about the method itself', () => {
    expect(isMissingBackend(new NovaError('NOT_FOUND', 'unknown method "vm.list"', { method: 'vm.list' }), 'vm.list')).toBe(true);
    expect(isMissingBackend(new NovaError('HOST_UNSUPPORTED', 'no backend', { method: 'vm.list' }), 'vm.list')).toBe(true);
    // A backend saying "no such VM" is present.
    expect(isMissingBackend(new NovaError('NOT_FOUND', 'VM x not found', { name: 'x' }), 'vm.inspect')).toBe(false);
    // A missing tool (qemu) is a host problem, not a missing backend.
    expect(isMissingBackend(new NovaError('HOST_UNSUPPORTED', 'install qemu-system-x86'), 'vm.start')).toBe(false);
    expect(isMissingBackend(new NovaError('NOT_FOUND', 'unknown method', { method: 'gpu.list' }), 'vm.list')).toBe(false);
    expect(isMissingBackend('boom')).toBe(false);
  });
});

describe('asList', () => {
  it('reads arrays, {items} and named lists', () => {
    expect(asList([1, 2])).toEqual([1, 2]);
    expect(asList({ items: [1] })).toEqual([1]);
    expect(asList({ gpus: [3] }, 'gpus')).toEqual([3]);
    expect(asList({ other: 1 })).toEqual([]);
    expect(asList(undefined)).toEqual([]);
  });
});

describe('errorText', () => {
  it('adds what to do for permission errors', () => {
    expect(errorText(new NovaError('PERMISSION', 'creating bridges needs root'))).toMatch(/run nova as root/);
    expect(errorText(new NovaError('CONFLICT', 'lab0 exists'))).toBe('lab0 exists');
  });
});
