import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

// Capsule tests run the native supervisor (out/native): build it when missing or stale, so a
// single `npx vitest run <file>` works without a full `npm run build`.
export default function setup(): void {
  execFileSync(process.execPath, [join(import.meta.dirname, '..', '..', 'scripts', 'build-native.mjs')], { stdio: 'inherit' });
}
