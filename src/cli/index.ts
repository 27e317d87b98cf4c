// Entry of the `nova` binary (bin/nova.mjs loads the bundle built from this file).
import { run } from './main.js';

const code = await run(process.argv.slice(2));
// Exit explicitly: a finished command must not wait on monitors or sockets left by backends.
process.exit(code);
