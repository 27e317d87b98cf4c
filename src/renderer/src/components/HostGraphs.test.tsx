// @vitest-environment happy-dom
import { act } from 'react';
import { describe, expect, it } from 'vitest';
import { render, waitFor } from '../test/render';
import { HOST_SERIES, useMetrics } from '../stores/metrics';
import type { Sample } from '../stores/metrics';
import { HostGraphs, plottable } from './HostGraphs';

const GiB = 1024 ** 3;
const sample = (at: number, cpuPercent: number): Sample => ({ kind: 'host', name: 'local', at, values: { cpuPercent, memoryUsedBytes: 3 * GiB, memoryTotalBytes: 8 * GiB, load1: 0.5 } });

describe('HostGraphs', () => {
  it('draws a line only through samples that span time', () => {
    expect(plottable([])).toBe(false);
    expect(plottable([{ at: 1000 }])).toBe(false);
    // host.stats and the first live tick, read the same moment: nothing to draw yet.
    expect(plottable([{ at: 1000 }, { at: 1040 }])).toBe(false);
    expect(plottable([{ at: 1000 }, { at: 1040 }, { at: 3000 }])).toBe(true);
  });

  it('shows the figures from the first sample and loads the charts (recharts) from the second on', async () => {
    useMetrics.setState({ series: { [HOST_SERIES]: [sample(10_000, 12.5)] } });
    const { container, unmount } = await render(<HostGraphs />);
    expect(container.querySelector('[data-testid="host-cpu"] figcaption')?.textContent).toContain('12.5%');
    expect(container.querySelector('[data-testid="host-memory"] figcaption')?.textContent).toContain('3.0 GiB of 8.0 GiB in use');
    expect(container.querySelectorAll('[data-testid="chart-collecting"]')).toHaveLength(2);
    expect(container.querySelector('[data-testid="chart-drawing"]')).toBeNull();
    expect(container.querySelector('.recharts-responsive-container')).toBeNull();
    await act(async () => useMetrics.getState().add(sample(12_000, 20)));
    await waitFor(() => expect(container.querySelectorAll('.recharts-responsive-container')).toHaveLength(2), 20_000);
    expect(container.querySelector('.chart-pending')).toBeNull();
    expect(container.querySelector('[data-testid="host-graphs"]')?.getAttribute('data-samples')).toBe('2');
    await unmount();
  }, 30_000);
});
