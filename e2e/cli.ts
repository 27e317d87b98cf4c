import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { e2eEnv } from './fixtures';

const NOVA = resolve(import.meta.dirname, '..', 'bin', 'nova.mjs');

/**
 * Runs the real `nova` CLI as another process on the same Nova home as the served app (the way
 * a user in a terminal changes things behind the app's back). Resolves with stdout.
 */
export function novaCli(...args: string[]): Promise<string> {
  const env = e2eEnv();
  return new Promise((done, fail) => {
    execFile(
      process.execPath,
      [NOVA, ...args],
      {
        env: { ...process.env, NOVA_HOME: process.env.NOVA_E2E_NOVA_HOME, XDG_RUNTIME_DIR: env.runtime },
        timeout: 120_000,
      },
      (err, stdout, stderr) => (err ? fail(new Error(`nova ${args.join(' ')}: ${err.message}\n${stderr}`)) : done(stdout)),
    );
  });
}
