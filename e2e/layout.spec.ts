import { expect, openView, rpc, shot, test } from './fixtures';
import { overflowing } from './pages/common';

// Every view at the launcher's default 1280×800 and at 1920×1080, two themes each: no element reaches
// past the viewport (nothing clipped, no horizontal scrolling), and a screenshot of each view in
// each theme lands in the test's artifacts.

const VIEWS = ['dashboard', 'vms', 'capsules', 'networks', 'topology', 'gpus', 'captures', 'storage', 'projects', 'settings'];
const DIALOGS: { view: string; open: string; name: string }[] = [
  { view: 'vms', open: 'new-vm', name: 'New virtual machine' },
  { view: 'capsules', open: 'new-capsule', name: 'New capsule' },
  { view: 'networks', open: 'new-network', name: 'New network' },
];
// The launcher's default in a dark and the light theme; a full-HD screen in the default and the
// opt-in Material Ocean (themes change colours, not boxes: the screenshots are for the eye).
const SIZES = [
  { width: 1280, height: 800, themes: ['tokyo-night-storm', 'tokyo-night-day'] },
  { width: 1920, height: 1080, themes: ['tokyo-night-storm', 'material-ocean'] },
];

test.describe('layout at 1280×800 and 1920×1080', () => {
  test.afterAll(async () => {
    await rpc('prefs.set', { key: 'theme', value: 'tokyo-night-storm' });
  });

  for (const { width, height, themes } of SIZES) for (const theme of themes) {
    const at = width === 1280 ? '' : `-${width}`;
    test(`every view and dialog fits at ${width}×${height}, ${theme}`, async ({ app }, testInfo) => {
      test.setTimeout(120_000);
      await app.setViewportSize({ width, height });
      await rpc('prefs.set', { key: 'theme', value: theme });
      await expect(app.locator('html')).toHaveAttribute('data-theme', theme);
      for (const view of VIEWS) {
        await openView(app, view);
        await expect(app.getByText('Loading view…')).toHaveCount(0);
        await app.waitForLoadState('networkidle');
        expect(await overflowing(app), `${view} overflows`).toEqual([]);
        await shot(app, `${view}-${theme}${at}`, testInfo);
      }
      for (const d of DIALOGS) {
        await openView(app, d.view);
        await app.getByTestId(d.open).click();
        const dialog = app.getByRole('dialog', { name: d.name });
        await expect(dialog).toBeVisible();
        expect(await overflowing(app), `${d.name} overflows`).toEqual([]);
        await shot(app, `${d.open}-${theme}${at}`, testInfo);
        await app.keyboard.press('Escape');
        await expect(dialog).toHaveCount(0);
      }
    });
  }
});
