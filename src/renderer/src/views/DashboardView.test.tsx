// @vitest-environment happy-dom
import { act } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { HostInfo } from '../../../shared/contract/host.js';
import type { ResourceSummary } from '../../../shared/contract/resource.js';
import * as format from '../lib/format';
import { useHost } from '../stores/host';
import { HOST_SERIES, useMetrics } from '../stores/metrics';
import { useResources } from '../stores/resources';
import { render } from '../test/render';
import { DashboardView } from './DashboardView';

vi.mock('../lib/format', async (real) => {
  const m = await real<typeof format>();
  return { ...m, bytes: vi.fn(m.bytes) };
});

const info = {
  hostname: 'desk', os: { name: 'Debian 12' }, kernel: '6.1', arch: 'x86_64', cpus: 2, memoryBytes: 8 * 1024 ** 3,
  accelerator: { kind: 'tcg', reason: '/dev/kvm is missing' }, cgroup: { layout: 'v2', detail: '' }, wayland: { detail: 'weston' },
  tools: [{ name: 'qemu-img', found: false, purpose: 'disk images', package: { debian: 'qemu-utils', arch: 'qemu-img' } }],
} as unknown as HostInfo;
const capsule = (name: string): ResourceSummary => ({ kind: 'capsule', name, state: 'running' }) as ResourceSummary;

describe('DashboardView', () => {
  afterEach(() => vi.mocked(format.bytes).mockClear());

  it('shows host facts, missing tools and live counts; a new resource list re-renders only the Resources card', async () => {
    useHost.setState({ info, status: 'ready', error: undefined });
    // A host sample already there: HostGraphs asks the engine for nothing.
    useMetrics.setState({ series: { [HOST_SERIES]: [{ kind: 'host', name: 'local', at: 1000, values: { cpuPercent: 5, memoryUsedBytes: 1024 ** 3, memoryTotalBytes: 8 * 1024 ** 3, load1: 0.1 } }] } });
    useResources.setState({ items: [capsule('a')], status: 'ready', error: undefined });
    const { container, unmount } = await render(<DashboardView />);
    const text = () => container.textContent ?? '';
    expect(text()).toContain('desk · Debian 12');
    expect(text()).toContain('TCG: no hardware acceleration.');
    expect(container.querySelector('[data-testid="missing-tools"]')?.textContent).toContain('apt install qemu-utils');
    expect(text()).toContain('8.0 GiB');
    const hostRenders = vi.mocked(format.bytes).mock.calls.length;
    expect(hostRenders).toBeGreaterThan(0);
    // The engine's list arrives (and again, as on each WebSocket refetch): the counts follow...
    await act(async () => useResources.setState({ items: [capsule('a'), capsule('b')] }));
    await act(async () => useResources.setState({ items: [capsule('a'), capsule('b'), capsule('c')] }));
    expect(container.querySelector('[data-testid="host-info"]')?.textContent).toMatch(/3\s*Capsules?/i);
    // ...and the host facts and graphs (the callers of bytes() here) did not render again.
    expect(vi.mocked(format.bytes).mock.calls.length).toBe(hostRenders);
    await unmount();
  });
});
