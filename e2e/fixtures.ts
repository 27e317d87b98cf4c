import { test as base, expect, chromium } from '@playwright/test';
import type { Page } from '@playwright/test';

import { CHROMIUM_ARGS } from './chromium-args';

export { CHROMIUM_ARGS };

export const e2eEnv = () => {
  const need = (k: string) => {
    const v = process.env[k];
    if (!v) throw new Error(`${k} is not set: run through \`npx playwright test\` (global-setup starts weston and nova serve)`);
    return v;
  };
  return {
    url: need('NOVA_E2E_URL'),
    token: need('NOVA_E2E_TOKEN'),
    home: need('NOVA_E2E_HOME'),
    wayland: need('NOVA_E2E_WAYLAND_DISPLAY'),
    runtime: need('NOVA_E2E_XDG_RUNTIME_DIR'),
  };
};

export const test = base.extend<{ app: Page }, object>({
  browser: [
    async ({}, use) => {
      const env = e2eEnv();
      const browser = await chromium.launch({
        executablePath: '/usr/bin/chromium',
        headless: false,
        args: CHROMIUM_ARGS,
        env: { ...process.env, WAYLAND_DISPLAY: env.wayland, XDG_RUNTIME_DIR: env.runtime },
      });
      await use(browser);
      await browser.close();
    },
    { scope: 'worker' },
  ],
  // What the page threw or logged as an error, printed with a failed test's output: a blank
  // window in CI is then a stack trace, not a guess.
  page: async ({ page }, use, testInfo) => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.stack ?? e.message}`));
    page.on('console', (m) => void (m.type() === 'error' && errors.push(`console.error: ${m.text()}`)));
    await use(page);
    if (testInfo.status !== testInfo.expectedStatus && errors.length) {
      process.stderr.write(`page errors in "${testInfo.title}":\n${errors.join('\n')}\n`);
      await testInfo.attach('page-errors', { body: errors.join('\n'), contentType: 'text/plain' });
    }
  },
  // The UI opened with the token the way `nova serve` prints it (#token=…), host facts loaded.
  app: async ({ page }, use) => {
    const env = e2eEnv();
    await page.setViewportSize({ width: 1280, height: 760 });
    await page.goto(`${env.url}/#token=${env.token}`);
    await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'open');
    await use(page);
  },
});

export { expect };

/** Opens a view from the sidebar. */
export async function openView(page: Page, id: string): Promise<void> {
  await page.getByTestId(`nav-${id}`).click();
  await expect(page.getByTestId(`view-${id}`)).toBeVisible();
}

/** A screenshot into the test's artifacts (and attached to the report). */
export async function shot(page: Page, name: string, testInfo: { outputPath(...p: string[]): string; attach(n: string, o: { path: string; contentType: string }): Promise<void> }): Promise<string> {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path });
  await testInfo.attach(name, { path, contentType: 'image/png' });
  return path;
}

/** Calls the engine over HTTP /rpc like a script would (to set up or check state, never to fake it). */
export async function rpc<T = unknown>(method: string, params: unknown = {}): Promise<T> {
  const env = e2eEnv();
  const res = await fetch(`${env.url}/rpc`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${env.token}` },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = (await res.json()) as { result?: T; error?: { message: string; data?: { code: string } } };
  if (body.error) throw Object.assign(new Error(body.error.message), { code: body.error.data?.code });
  return body.result as T;
}
