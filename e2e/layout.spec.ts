import { expect, openView, rpc, shot, test } from './fixtures';
import { overflowing } from './pages/common';

// Every view at the launcher's default 1280×800, in a dark and a light theme: no element reaches
// past the viewport (nothing clipped, no horizontal scrolling), and a screenshot of each view in
// each theme lands in the test's artifacts.

const VIEWS = ['dashboard', 'vms', 'capsules', 'networks', 'topology', 'gpus', 'captures', 'storage', 'projects', 'settings'];
const DIALOGS: { view: string; open: string; name: string }[] = [
  { view: 'vms', open: 'new-vm', name: 'New virtual machine' },
  { view: 'capsules', open: 'new-capsule', name: 'New capsule' },
  { view: 'networks', open: 'new-network', name: 'New network' },
];
const THEMES = ['tokyo-night-storm', 'tokyo-night-day'];

test.describe('layout at 1280×800', () => {
  test.afterAll(async () => {
    await rpc('prefs.set', { key: 'theme', value: 'tokyo-night-storm' });
  });

  for (const theme of THEMES) {
    test(`every view and dialog fits, ${theme}`, async ({ app }, testInfo) => {
      test.setTimeout(120_000);
      await app.setViewportSize({ width: 1280, height: 800 });
      await rpc('prefs.set', { key: 'theme', value: theme });
      await expect(app.locator('html')).toHaveAttribute('data-theme', theme);
      for (const view of VIEWS) {
        await openView(app, view);
        await expect(app.getByText('Loading view…')).toHaveCount(0);
        await app.waitForLoadState('networkidle');
        expect(await overflowing(app), `${view} overflows`).toEqual([]);
        await shot(app, `${view}-${theme}`, testInfo);
      }
      for (const d of DIALOGS) {
        await openView(app, d.view);
        await app.getByTestId(d.open).click();
        const dialog = app.getByRole('dialog', { name: d.name });
        await expect(dialog).toBeVisible();
        expect(await overflowing(app), `${d.name} overflows`).toEqual([]);
        await shot(app, `${d.open}-${theme}`, testInfo);
        await app.keyboard.press('Escape');
        await expect(dialog).toHaveCount(0);
      }
    });
  }
});
