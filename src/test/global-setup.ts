import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

// Capsule tests run the native supervisor (out/native): build it when missing or stale, so a
// single `npx vitest run <file>` works without a full `npm run build`. The QUIC tunnel (Rust, minutes
// on a first build) is built by the tests that run it (src/core/network/overlay/quic/).
export default function setup(): void {
  execFileSync(process.execPath, [join(import.meta.dirname, '..', '..', 'scripts', 'build-native.mjs'), '--no-quic'], { stdio: 'inherit' });
}
