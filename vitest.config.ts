import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx', 'bench/**/*.test.ts'],
    environment: 'node',
    globalSetup: ['src/test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Host-level tests (QEMU, crun, netns) contend for 2 cores: keep parallelism modest.
    maxWorkers: 2,
    reporters: ['default'],
    // electron-store imports electron: inline it so tests' vi.mock('electron') reaches it.
    server: { deps: { inline: ['electron-store'] } },
  },
});
