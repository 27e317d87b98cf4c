import { describe, expect, it } from 'vitest';
import { NovaError } from '../../../shared/errors.js';
import { errorText } from './rpc';

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
