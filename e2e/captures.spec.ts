import { expect, openView, rpc, shot, test } from './fixtures';

test.afterEach(async () => {
  await rpc('prefs.set', { key: 'captureScanSeconds', value: 30 });
  await rpc('prefs.set', { key: 'monitoring', value: {} });
  await rpc('network.monitor.set', { interface: 'lo', remove: true }).catch(() => undefined);
});

test('the capture interval survives a reload and a manual rescan says what it scanned', async ({ app }, testInfo) => {
  await openView(app, 'captures');
  const interval = app.getByTestId('capture-interval');
  await interval.fill('45');
  await expect.poll(async () => (await rpc<{ captureScanSeconds: number }>('prefs.get')).captureScanSeconds).toBe(45);
  await app.reload();
  await expect(app.getByTestId('view-captures')).toBeVisible();
  await expect(app.getByTestId('capture-interval')).toHaveValue('45');
  await expect(app.getByTestId('capture-last-scan')).toContainText('next in about 45 s');

  const host = (await rpc<{ hostname: string }>('host.info')).hostname;
  await app.getByTestId('capture-rescan').click();
  const toast = app.getByTestId('toast').filter({ hasText: `captures on ${host}` });
  await expect(toast).toBeVisible();
  await shot(app, 'captures', testInfo);
});

test('out-of-range intervals are not saved', async ({ app }) => {
  await openView(app, 'captures');
  await app.getByTestId('capture-interval').fill('5');
  await app.waitForTimeout(300);
  expect((await rpc<{ captureScanSeconds: number }>('prefs.get')).captureScanSeconds).toBe(30);
});

test('per-interface poll, threshold and mute persist', async ({ app }) => {
  await openView(app, 'captures');
  await app.getByLabel('Interface to monitor').fill('lo');
  await app.getByRole('button', { name: 'Monitor', exact: true }).click();
  const pane = app.getByTestId('iface-lo');
  await expect(pane).toBeVisible();
  await pane.getByLabel('Poll interval for lo').fill('20');
  await pane.getByLabel('Mute notifications for lo').check();
  await expect
    .poll(async () => (await rpc<{ monitoring: Record<string, { pollSeconds: number; notify: boolean }> }>('prefs.get')).monitoring.lo)
    .toMatchObject({ pollSeconds: 20, notify: false });
  // The engine's monitor got the settings too (when this build has it).
  const mon = await rpc<{ items: { interface: string; settings: { pollSeconds: number; notify: boolean } }[] }>('network.monitor.list').catch(() => undefined);
  if (mon) expect(mon.items.find((i) => i.interface === 'lo')?.settings).toMatchObject({ pollSeconds: 20, notify: false });
  await app.reload();
  await expect(app.getByTestId('iface-lo').getByLabel('Poll interval for lo')).toHaveValue('20');
  await expect(app.getByTestId('iface-lo').getByLabel('Mute notifications for lo')).toBeChecked();
});
