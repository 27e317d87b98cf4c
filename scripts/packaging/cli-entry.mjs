// resources/cli/nova.mjs in the packages (before-pack.cjs copies this file there): what the native
// launcher and resources/bin/nova run on the system's Node. Like bin/nova.mjs in a checkout, the
// commands the fast path knows (`nova ls`) go first to nova-fast.cjs (src/cli/fast.ts: a running
// `nova serve` over its local socket, else a lean in-process listing); anything it does not answer
// runs the full CLI (nova-full.cjs), which then answers exactly as it always does. The full CLI
// runs through run-cached.mjs like a checkout's (V8's code cache, under ~/.cache/nova: the
// package's own folder is not the user's to write), a third of a cold start without it.
// An ES module because the launcher execs `resources/cli/nova.mjs` (native/launcher.c).
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { runCached } from './run-cached.mjs';

const argv = process.argv.slice(2);
if (argv.includes('ls')) {
  const code = await createRequire(import.meta.url)('./nova-fast.cjs').runFast(argv);
  if (code !== undefined) process.exit(code);
}
runCached(fileURLToPath(new URL('./nova-full.cjs', import.meta.url)), { beside: false });
