import { describe, expect, it } from 'vitest';
import { NovaError } from '../../../shared/errors.js';
import { errorText, isMissingBackend } from './rpc';

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

describe('errorText', () => {
  it('shows the engine\'s message and its fix, never advice of its own', () => {
    const e = new NovaError('PERMISSION', 'creating bridges needs CAP_NET_ADMIN', { fix: 'start the helper: systemctl start nova-privd.socket' });
    expect(errorText(e)).toBe('creating bridges needs CAP_NET_ADMIN — fix: systemctl start nova-privd.socket'.replace('fix: ', 'fix: start the helper: '));
    expect(errorText(new NovaError('PERMISSION', 'no access'))).toBe('no access');
    expect(errorText(new NovaError('PERMISSION', 'x'))).not.toMatch(/root|sudo/);
    // A message that already carries its fix is not repeated.
    expect(errorText(new NovaError('PERMISSION', 'denied. To fix: run A.', { fix: 'run A' }))).toBe('denied. To fix: run A.');
    expect(errorText(new NovaError('CONFLICT', 'lab0 exists'))).toBe('lab0 exists');
  });
});
