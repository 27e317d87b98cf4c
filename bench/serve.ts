// The real `nova serve` for benches: a token file in the bench's home, port 0, the URL it prints.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');

/** fromSource: NOVA_FROM_SOURCE=1 (bin/nova.mjs still takes the bundle when it is current). */
export async function startServe(home: string, token: string, fromSource = true): Promise<{ child: ChildProcess; url: string }> {
  const tokenFile = join(home, 'token');
  await writeFile(tokenFile, token, { mode: 0o600 });
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'nova.mjs'), 'serve', '--port', '0', '--token-file', tokenFile], {
    env: { ...process.env, NOVA_HOME: home, ...(fromSource ? { NOVA_FROM_SOURCE: '1' } : {}) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /serving on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (c) => reject(new Error(`nova serve exited ${c} before it was ready`)));
  });
  return { child, url };
}
