import { expect, openView, rpc, shot, test } from './fixtures';

// The dashboard's host graphs: CPU and memory of this host, read from the engine's /proc
// sampling (host.stats, then live metrics.sample every 2 s), with human units and round ticks.

interface HostStats { cpus: number; memoryTotalBytes: number; memoryUsedBytes: number }
const GiB = 1024 ** 3;

test('the dashboard graphs this host\'s CPU and memory, live', async ({ app }, testInfo) => {
  const stats = await rpc<HostStats>('host.stats');
  await openView(app, 'dashboard');
  const graphs = app.getByTestId('host-graphs');
  const cpu = graphs.getByTestId('host-cpu');
  const mem = graphs.getByTestId('host-memory');
  await expect(cpu.locator('figcaption')).toContainText(/CPU \d+\.\d% of all CPUs/, { timeout: 10_000 });
  // The total is this host's memory, in GiB, as the engine read it.
  const total = stats.memoryTotalBytes / GiB;
  await expect(mem.locator('figcaption')).toContainText(`of ${total >= 10 ? Math.round(total) : total.toFixed(1)} GiB in use`);
  // Live: new samples arrive without a reload (the engine publishes one every 2 s).
  const count = async () => Number(await graphs.getAttribute('data-samples'));
  const before = await count();
  await expect.poll(count, { timeout: 10_000 }).toBeGreaterThan(before + 1);
  // Drawn (recharts loads once the samples make a line, #24), with round ticks: 0% to 100% for
  // CPU, whole powers of two for memory.
  await expect(cpu.locator('.recharts-area-area')).toHaveCount(1);
  await expect(mem.locator('.recharts-area-area')).toHaveCount(1);
  await expect(graphs.locator('.chart-pending')).toHaveCount(0);
  const cpuTicks = await cpu.locator('.recharts-yAxis-tick-labels .recharts-cartesian-axis-tick-value').allTextContents();
  expect(cpuTicks).toEqual(['0%', '25%', '50%', '75%', '100%']);
  const memTicks = await mem.locator('.recharts-yAxis-tick-labels .recharts-cartesian-axis-tick-value').allTextContents();
  expect(memTicks[0]).toBe('0 B');
  for (const t of memTicks.slice(1)) expect(t).toMatch(/^\d+ (MiB|GiB|TiB)$/);
  await shot(app, 'dashboard-host-graphs', testInfo);
});
