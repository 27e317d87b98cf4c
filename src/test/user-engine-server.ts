// Runs an engine in this process (started as an ordinary user by user-engine.ts) and serves
// dispatcher calls as JSON lines on stdin/stdout, so a root test can drive a user's engine.
import { createInterface } from 'node:readline';
import { createEngine } from '../core/engine.js';
import { resolvePaths } from '../core/sys/paths.js';

const engine = createEngine({ env: process.env, paths: resolvePaths(process.env) });
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const { id, method, input, remote } = JSON.parse(line) as { id: number; method: string; input: unknown; remote?: boolean };
  // remote: as `nova serve` calls it for an API client (no working directory, roots not widened).
  const answer = method === 'engine.start' ? engine.start().then(() => ({ ok: true, value: null })) : engine.dispatcher.call(method, input, remote ? { transport: 'ws', remote: true } : undefined);
  void answer.then((r) => process.stdout.write(`${JSON.stringify({ id, ...r })}\n`));
});
lines.on('close', () => void engine.close().then(() => process.exit(0)));
process.stdout.write(`${JSON.stringify({ id: 0, ok: true, value: 'ready' })}\n`);
