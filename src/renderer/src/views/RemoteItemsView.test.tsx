// @vitest-environment happy-dom
// Per-view host switching and pushed host events in the app, on a real in-process engine whose
// host list has one host that cannot be reached (nothing listens on its SSH port). The engine's
// watcher (core/hosts/watch.ts, tested for real in src/test/hosts-events.host.test.ts) publishes
// host.state/host.event on the bus; here they are published on the same bus and the views follow
// them without polling.
import { act } from 'react';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { updateHosts } from '../../../core/hosts/store.js';
import { Sidebar } from '../components/Sidebar';
import { engineBridge } from '../test/engineBridge';
import type { TestEngine } from '../test/engineBridge';
import { render, waitFor } from '../test/render';
import { LOCAL, useHosts } from '../stores/hosts';
import { useNav } from '../stores/nav';
import { RemoteItemsView } from './RemoteItemsView';

describe('RemoteItemsView: a remote host\'s VMs, live from pushed events', () => {
  let t: TestEngine;
  let unwatch: () => void = () => undefined;
  beforeAll(async () => {
    t = await engineBridge('all');
    await updateHosts(t.engine.paths, () => [{ name: 'far', user: 'nobody', address: '127.0.0.1', port: 1, socket: '/run/nova/serve.sock', keys: [], addedAt: 0 }]);
    unwatch = useHosts.getState().watch();
  });
  afterAll(async () => {
    unwatch();
    await t.home.cleanup();
  });

  it('shows the host unreachable with the reason, then the reason a pushed host.state gives', async () => {
    const { container, unmount } = await render(<RemoteItemsView host="far" kind="vm" />);
    const error = () => container.querySelector('[data-testid="remote-far-error"]')?.textContent ?? '';
    await waitFor(() => expect(error()).toMatch(/unreachable: .*(reach|refused|ssh)/i), 15_000);
    t.engine.bus.emit('host.state', { host: 'far', reachable: false, error: 'its API connection closed (pushed)' });
    await waitFor(() => expect(error()).toContain('its API connection closed (pushed)'));
    await unmount();
  }, 30_000);

  it('a pushed vm.state of that host repaints its row at once, with the actions the new state allows', async () => {
    useHosts.setState((s) => ({ hosts: { ...s.hosts, far: { name: 'far', status: 'reachable', items: [{ kind: 'vm', name: 'web', state: 'stopped' }, { kind: 'network', name: 'lan', state: 'Active' }] } } }));
    const { container, unmount } = await render(<RemoteItemsView host="far" kind="vm" />);
    const row = () => container.querySelector('[data-testid="remote-row-web"]');
    await waitFor(() => expect(row()?.getAttribute('data-state')).toBe('stopped'));
    expect(container.querySelector('[data-testid="remote-row-lan"]')).toBeNull(); // the VMs view shows VMs only
    expect([...row()!.querySelectorAll('button')].map((b) => b.textContent)).toEqual(['Start']);
    t.engine.bus.emit('host.event', { host: 'far', event: 'vm.state', payload: { name: 'web', state: 'running' } });
    await waitFor(() => expect(row()?.getAttribute('data-state')).toBe('running'), 250); // before the debounced re-read
    expect([...row()!.querySelectorAll('button')].map((b) => b.textContent)).toEqual(['Stop']);
    await unmount();
  });

  it('the sidebar keeps a remote host chosen for VMs, Capsules and Networks, and goes back to this host for the other views', async () => {
    const { container, unmount } = await render(<Sidebar />);
    const click = (id: string) => act(async () => (container.querySelector(`[data-testid="nav-${id}"]`) as HTMLButtonElement).click());
    await act(async () => useHosts.getState().setScope('far'));
    for (const v of ['vms', 'capsules', 'networks']) {
      await click(v);
      expect([useNav.getState().view, useHosts.getState().scope]).toEqual([v, 'far']);
    }
    await click('storage');
    expect([useNav.getState().view, useHosts.getState().scope]).toEqual(['storage', LOCAL]);
    await act(async () => useHosts.getState().setScope('all'));
    await click('vms');
    expect(useHosts.getState().scope).toBe(LOCAL);
    await unmount();
  });
});
