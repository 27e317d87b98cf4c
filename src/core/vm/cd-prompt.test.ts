// The watch's ends other than a key press (that one is secboot.test's installer CD, a real boot).
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CD_PROMPT } from '../../shared/install-cd.js';
import { answerCdPrompt } from './cd-prompt.js';

describe('answerCdPrompt', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nova-cdp-'));
  const log = join(dir, 'serial.log');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const base = { serialLog: log, qmp: join(dir, 'no-qmp.sock'), pid: process.pid, signal: new AbortController().signal };

  it('ends when the VM does, when nothing asks in time, and when cancelled', async () => {
    writeFileSync(log, 'BdsDxe: loading Boot0001\r\n');
    const gone = spawn('true');
    await new Promise((r) => gone.once('exit', r));
    expect(await answerCdPrompt({ ...base, pid: gone.pid!, from: 0 })).toBe('vm-gone');
    expect(await answerCdPrompt({ ...base, from: 0, timeoutMs: 300 })).toBe('timeout');
    const abort = new AbortController();
    const watching = answerCdPrompt({ ...base, from: 0, signal: abort.signal });
    abort.abort();
    expect(await watching).toBe('cancelled');
  });

  it('only looks at what this boot wrote: an earlier boot\'s prompt in the log is not answered', async () => {
    writeFileSync(log, `${CD_PROMPT}.....\r\n`);
    expect(await answerCdPrompt({ ...base, from: Buffer.byteLength(`${CD_PROMPT}.....\r\n`), timeoutMs: 300 })).toBe('timeout');
  });

  it('sees a prompt written in two pieces (it then asks QEMU, which is not there: the failure is the caller\'s)', async () => {
    writeFileSync(log, '');
    const watching = answerCdPrompt({ ...base, from: 0, timeoutMs: 20_000 });
    appendFileSync(log, CD_PROMPT.slice(0, 10));
    await new Promise((r) => setTimeout(r, 50));
    appendFileSync(log, CD_PROMPT.slice(10));
    await expect(watching).rejects.toThrow(/no-qmp\.sock|ENOENT|connect/);
  });
});
