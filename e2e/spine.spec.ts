import { execFileSync } from 'node:child_process';
import { e2eEnv, expect, rpc, shot, test } from './fixtures';

test('the dashboard shows host.info from the engine over the WebSocket bridge, with the TCG warning', async ({ app }, testInfo) => {
  const info = await rpc<{ hostname: string; accelerator: { kind: string; reason: string } }>('host.info');
  await expect(app.getByTestId('host-info')).toContainText(info.hostname);
  const accel = app.getByTestId('accelerator');
  await expect(accel).toContainText(info.accelerator.kind.toUpperCase());
  if (info.accelerator.kind !== 'kvm') {
    // This machine's KVM is broken: the UI must say so, not just print TCG.
    await expect(accel).toHaveClass(/warn/);
    await expect(app.getByTestId('tcg-warning')).toContainText(info.accelerator.reason);
  }
  await expect(app.getByTestId('resource-counts')).toBeVisible();
  await shot(app, 'dashboard', testInfo);
});

test('the browser is a Wayland client of weston', async ({ app, browser }) => {
  const env = e2eEnv();
  // The compositor's own view: an xdg_toplevel surface owned by a chromium process. A busy
  // machine can catch the moment between one page's window and the next being mapped: look again.
  const graph = () => execFileSync('weston-debug', ['scene-graph'], {
    env: { ...process.env, WAYLAND_DISPLAY: env.wayland, XDG_RUNTIME_DIR: env.runtime },
    timeout: 10_000,
  }).toString();
  const mapped = (g: string) => /xdg_toplevel/.test(g) && /chrom/i.test(g);
  await expect.poll(() => mapped(graph()), { timeout: 30_000 }).toBe(true);
  // Chromium's own view: the Ozone platform in use.
  const gpu = await browser.newPage();
  await gpu.goto('chrome://gpu');
  await expect(gpu.locator('body')).toContainText(/Ozone platform\s*:?\s*wayland/i, { timeout: 15_000 });
  await gpu.close();
  await expect(app.getByTestId('connection')).toHaveAttribute('data-state', 'open');
});
