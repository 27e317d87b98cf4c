import { defineConfig } from '@playwright/test';

// Chromium from Debian, as a Wayland client of a headless weston started by e2e/global-setup.ts.
export default defineConfig({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  timeout: 60_000,
  workers: 1,
  reporter: [['list']],
  globalSetup: './e2e/global-setup.ts',
});
