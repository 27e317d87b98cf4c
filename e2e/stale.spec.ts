import { expect, test } from './fixtures';

test('a dropped event stream shows as stale and reconnects', async ({ page }) => {
  const { url, token } = { url: process.env.NOVA_E2E_URL!, token: process.env.NOVA_E2E_TOKEN! };
  // Proxy the real WebSocket through Playwright so the test can cut it like a network drop.
  let server: { close(): Promise<void> } | undefined;
  let connections = 0;
  await page.routeWebSocket(/\/rpc$/, (ws) => {
    connections++;
    ws.connectToServer();
    server = { close: () => ws.close({ code: 4000, reason: 'test drop' }) };
  });
  await page.goto(`${url}/#token=${token}`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'open');
  await expect(page.getByTestId('stale-banner')).toHaveCount(0);
  await server!.close();
  await expect(page.getByTestId('stale-banner')).toBeVisible();
  await expect(page.getByTestId('connection')).not.toHaveAttribute('data-state', 'open');
  // The bridge reconnects by itself (every 2 s) and refetches; the banner goes away.
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'open', { timeout: 10_000 });
  await expect(page.getByTestId('stale-banner')).toHaveCount(0);
  expect(connections).toBeGreaterThanOrEqual(2);
  await expect(page.getByTestId('host-info')).toBeVisible();
});
