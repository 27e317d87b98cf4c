import { expect, openView, shot, test } from './fixtures';

// Each main view against the real engine of this build: an honest empty state (or the real
// data when the backend exists), never placeholders. Screenshots go to the test artifacts.

for (const view of ['vms', 'capsules', 'networks', 'gpus'] as const) {
  test(`${view}: shows data or says what to do`, async ({ app }, testInfo) => {
    await openView(app, view);
    // Either the real rows/cards, or an empty state that says what to do next.
    await expect(app.locator('[data-testid$="-table"], [data-testid^="gpu-0"], [data-testid="empty-state"]').first()).toBeVisible();
    const empty = app.getByTestId('empty-state');
    if (await empty.count()) await expect(empty.first()).toContainText(/create|pull|declare|lspci|nova/i);
    await shot(app, view, testInfo);
  });
}

test('topology, captures and settings render and are screenshotted', async ({ app }, testInfo) => {
  for (const view of ['topology', 'captures', 'settings', 'dashboard']) {
    await openView(app, view);
    await expect(app.getByRole('heading', { level: 1 })).toBeVisible();
    await shot(app, view, testInfo);
  }
});

test('status bar: no tasks running and the engine connection', async ({ app }) => {
  await expect(app.getByTestId('tasks')).toContainText('No tasks running');
  await expect(app.getByTestId('connection')).toContainText('Engine connected');
});

test('a bad token says how to get in', async ({ page }) => {
  await page.goto(`${process.env.NOVA_E2E_URL}/#token=wrong`);
  await expect(page.getByRole('alert').first()).toContainText(/refused the connection|nova serve/);
  await expect(page.getByTestId('connection')).not.toHaveAttribute('data-state', 'open');
});
