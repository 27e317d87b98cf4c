import { expect, openView, rpc, shot, test } from './fixtures';

test.afterEach(async () => {
  await rpc('prefs.set', { key: 'theme', value: 'tokyo-night-storm' });
});

test('Tokyo Night Storm is the default and a chosen theme survives a reload, applied before first paint', async ({ app, context }, testInfo) => {
  await expect(app.locator('html')).toHaveAttribute('data-theme', 'tokyo-night-storm');
  const stormBg = await app.evaluate(() => getComputedStyle(document.body).backgroundColor);
  await openView(app, 'settings');
  await app.getByTestId('theme-tokyo-night-day').click();
  await expect(app.locator('html')).toHaveAttribute('data-theme', 'tokyo-night-day');
  const dayBg = await app.evaluate(() => getComputedStyle(document.body).backgroundColor);
  expect(dayBg).not.toBe(stormBg);
  await shot(app, 'settings-day-theme', testInfo);
  // Persisted in the engine's prefs, not only in this tab.
  expect((await rpc<{ theme: string }>('prefs.get')).theme).toBe('tokyo-night-day');

  // Before first paint: the theme attribute is already set when the DOM is parsed, before the
  // app bundle ran (the inline theme boot script reads the cached value synchronously in <head>).
  await context.addInitScript(() => {
    document.addEventListener('DOMContentLoaded', () => {
      (window as unknown as { __themeAtDcl: string | undefined }).__themeAtDcl = document.documentElement.dataset.theme;
    });
  });
  await app.reload();
  await expect(app.getByTestId('connection')).toHaveAttribute('data-state', 'open');
  expect(await app.evaluate(() => (window as unknown as { __themeAtDcl: string | undefined }).__themeAtDcl)).toBe('tokyo-night-day');
  await expect(app.locator('html')).toHaveAttribute('data-theme', 'tokyo-night-day');
});

test('a fresh browser profile gets the persisted theme from the engine', async ({ browser }) => {
  await rpc('prefs.set', { key: 'theme', value: 'material-ocean' });
  const { url, token } = { url: process.env.NOVA_E2E_URL!, token: process.env.NOVA_E2E_TOKEN! };
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(`${url}/#token=${token}`);
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'material-ocean');
  await ctx.close();
});
