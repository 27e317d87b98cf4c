import { expect, test } from './fixtures';

test('the sidebar works from the keyboard: arrows move, Enter opens, Alt+digit jumps, Esc closes dialogs', async ({ app }) => {
  await app.getByTestId('nav-dashboard').focus();
  await app.keyboard.press('ArrowDown');
  await expect(app.getByTestId('nav-vms')).toBeFocused();
  await app.keyboard.press('ArrowDown');
  await app.keyboard.press('Enter');
  await expect(app.getByTestId('view-capsules')).toBeVisible();
  await app.keyboard.press('End');
  await expect(app.getByTestId('nav-settings')).toBeFocused();
  await app.keyboard.press('ArrowDown'); // wraps to the top
  await expect(app.getByTestId('nav-dashboard')).toBeFocused();

  await app.keyboard.press('Alt+4');
  await expect(app.getByTestId('view-networks')).toBeVisible();
  await expect(app.getByRole('heading', { level: 1, name: 'Networks' })).toBeFocused();
  await app.keyboard.press('Alt+9');
  await expect(app.getByTestId('view-projects')).toBeVisible();
  await app.keyboard.press('Alt+0');
  await expect(app.getByTestId('view-settings')).toBeVisible();

  // Tab continues from the focused heading into the view.
  await expect(app.getByRole('heading', { level: 1, name: 'Settings' })).toBeFocused();
  await app.keyboard.press('Tab');
  await expect(app.getByTestId('theme-tokyo-night-storm')).toBeFocused();

  await app.keyboard.press('Alt+2');
  await app.getByTestId('new-vm').focus();
  await app.keyboard.press('Enter');
  await expect(app.getByRole('dialog', { name: 'New virtual machine' })).toBeVisible();
  await app.keyboard.press('Escape');
  await expect(app.getByRole('dialog')).toHaveCount(0);
});
