import { describe, expect, it } from 'vitest';
import { NovaError } from './errors.js';
import { rpcPeer } from './rpc-peer.js';

describe('rpcPeer (the one JSON-RPC client of the browser UI and Node)', () => {
  it('matches answers to calls by id, turns errors into NovaErrors and routes events', async () => {
    const sent: { id: number; method: string; params: unknown }[] = [];
    const peer = rpcPeer((t) => void sent.push(JSON.parse(t) as (typeof sent)[number]));
    const a = peer.call('vm.list', {});
    const b = peer.call('vm.inspect', { name: 'x' });
    await Promise.resolve();
    await Promise.resolve();
    expect(sent.map((m) => [m.method, m.params])).toEqual([['vm.list', {}], ['vm.inspect', { name: 'x' }]]);
    const events: unknown[] = [];
    const off = peer.on('vm.state', (p) => events.push(p));
    peer.receive(JSON.stringify({ jsonrpc: '2.0', id: sent[1]!.id, error: { code: -32001, message: 'no VM x', data: { code: 'NOT_FOUND' } } }));
    peer.receive(JSON.stringify({ jsonrpc: '2.0', id: sent[0]!.id, result: { items: [] } }));
    peer.receive(JSON.stringify({ jsonrpc: '2.0', method: 'event', params: { event: 'vm.state', payload: { name: 'x' } } }));
    off();
    peer.receive(JSON.stringify({ jsonrpc: '2.0', method: 'event', params: { event: 'vm.state', payload: { name: 'y' } } }));
    await expect(a).resolves.toEqual({ items: [] });
    await expect(b).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'no VM x' });
    expect(events).toEqual([{ name: 'x' }]);
  });

  it('fails pending calls when the socket goes, and a call whose send fails', async () => {
    const peer = rpcPeer(() => undefined);
    const pending = peer.call('vm.list', {});
    peer.failAll('connection closed');
    await expect(pending).rejects.toBeInstanceOf(NovaError);
    const refused = rpcPeer(() => Promise.reject(new NovaError('PERMISSION', 'not signed in')));
    await expect(refused.call('vm.list', {})).rejects.toMatchObject({ code: 'PERMISSION' });
  });
});
