// Child process for lock.test.ts: takes a lock, says so, then waits to be killed.
import { acquireLock } from '../lock.js';

await acquireLock(process.argv[2]!, { holder: 'fixture' });
process.stdout.write('locked\n');
setInterval(() => undefined, 1000);
