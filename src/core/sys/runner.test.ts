import { describe, expect, it } from 'vitest';
import { createRunner, recordingRunner } from './runner.js';

const runner = createRunner();

describe('command runner', () => {
  it('passes argv items verbatim: no shell ever interprets them', async () => {
    const r = await runner.run(['printf', '%s|', 'a b', '$(id)', ';rm -rf /', '*']);
    expect(r.stdout).toBe('a b|$(id)|;rm -rf /|*|');
  });

  it('reports argv, exit code and trimmed stderr when a tool fails', async () => {
    await expect(runner.run(['sh', '-c', 'echo "RTNETLINK answers: File exists" >&2; exit 2'])).rejects.toMatchObject({
      code: 'INTERNAL',
      message: expect.stringContaining('RTNETLINK answers: File exists'),
      details: { exitCode: 2, stderr: 'RTNETLINK answers: File exists', argv: ['sh', '-c', expect.any(String)] },
    });
  });

  it('classifies permission failures and missing tools', async () => {
    await expect(runner.run(['sh', '-c', 'echo "Operation not permitted" >&2; exit 1'])).rejects.toMatchObject({ code: 'PERMISSION' });
    await expect(runner.run(['nft-does-not-exist'])).rejects.toMatchObject({ code: 'HOST_UNSUPPORTED', message: expect.stringContaining('not installed') });
  });

  it('times out and cancels', async () => {
    await expect(runner.run(['sleep', '5'], { timeoutMs: 100 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    await expect(runner.run(['sleep', '5'], { signal: ac.signal })).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  it('returns failures as results when asked, and hides secrets in errors', async () => {
    const r = await runner.run(['sh', '-c', 'exit 3'], { allowFailure: true });
    expect(r.exitCode).toBe(3);
    await expect(runner.run(['sh', '-c', 'exit 1', 'hunter2secret'], { secrets: ['hunter2secret'] })).rejects.toSatisfy(
      (e: Error) => !e.message.includes('hunter2secret'),
    );
  });

  it('records what ran for golden tests', async () => {
    const rec = recordingRunner(runner);
    await rec.run(['true']);
    expect(rec.calls).toEqual([['true']]);
  });
});
