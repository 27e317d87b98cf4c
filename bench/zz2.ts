import { acquireLock } from '../src/core/sys/lock.js';
const t = performance.now();
const l = await acquireLock('/tmp/zz-a.lock');
console.log('got', (performance.now() - t).toFixed(2));
await l.release();
console.log('released');
const l2 = await acquireLock('/tmp/zz-a.lock');
console.log('got2');
await l2.release();
