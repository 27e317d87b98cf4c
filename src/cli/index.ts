// Entry of the `nova` binary (bin/nova.mjs loads the bundle built from this file).
import { run } from './main.js';

// Exit explicitly: a finished command must not wait on monitors or sockets left by backends.
// (No top-level await: the checkout's bundle is CommonJS so V8 can cache its compiled code.)
void run(process.argv.slice(2)).then((code) => process.exit(code));
