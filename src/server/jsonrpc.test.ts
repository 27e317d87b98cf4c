import { describe, expect, it } from 'vitest';
import { Dispatcher } from '../core/rpc/dispatcher.js';
import type { CallContext } from '../core/rpc/dispatcher.js';
import { NovaError } from '../shared/errors.js';
import { handleMessage } from './jsonrpc.js';

describe('JSON-RPC framing', () => {
  it('marks every call that came over the server as remote (path policies refuse relative paths then)', async () => {
    const d = new Dispatcher();
    const seen: CallContext[] = [];
    d.guard((_m, _i, ctx) => {
      seen.push(ctx);
      throw new NovaError('PERMISSION', 'stop here');
    });
    d.handle('prefs.get', () => {
      throw new Error('not reached');
    });
    const r = await handleMessage('{"jsonrpc":"2.0","id":1,"method":"prefs.get"}', { dispatcher: d, transport: 'ws' });
    expect(r).toMatchObject({ id: 1, error: { code: -32003, data: { code: 'PERMISSION' } } });
    expect(seen).toEqual([expect.objectContaining({ transport: 'ws', remote: true })]);
    // In-process callers (the CLI) are not remote.
    await d.call('prefs.get', {});
    expect(seen[1]?.remote).toBeUndefined();
  });

  it('answers a batch of notifications with nothing, and a method the contract lacks with -32601', async () => {
    const d = new Dispatcher();
    expect(await handleMessage('[{"jsonrpc":"2.0","method":"prefs.get"}]', { dispatcher: d, transport: 'http' })).toBeUndefined();
    expect(await handleMessage('{"jsonrpc":"2.0","id":"x","method":"nope.nope"}', { dispatcher: d, transport: 'http' })).toMatchObject({ id: 'x', error: { code: -32601 } });
    // A contract method without a backend in this build is not "method not found".
    expect(await handleMessage('{"jsonrpc":"2.0","id":2,"method":"prefs.get"}', { dispatcher: d, transport: 'http' })).toMatchObject({ id: 2, error: { code: -32004, data: { code: 'HOST_UNSUPPORTED' } } });
  });
});
