// Which CD-prompt watches the CLI waits for and what it says (the watch itself: cd-prompt.test and
// secboot.test, where `nova vm start` as a user waits for a real one).
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TaskInfo } from '../../shared/contract/task.js';
import { cdPromptTaskTitle } from '../../shared/install-cd.js';
import type { CliContext } from '../context.js';
import { waitForInstallCdPrompts } from './vm-install-cd.js';

const task = (id: string, vm: string, state: TaskInfo['state'], message?: string): TaskInfo => ({
  id, title: cdPromptTaskTitle(vm), state, progress: state === 'running' ? null : 1, startedAt: 1, ...(message ? { message } : {}),
});

/** A CLI context whose engine answers task.list with the next list each time (the last one from then on). */
function ctxAnswering(lists: TaskInfo[][], json = false): { ctx: CliContext; asked: () => number } {
  let n = 0;
  const ctx = { opts: { json }, call: async () => ({ tasks: lists[Math.min(n++, lists.length - 1)] }) } as unknown as CliContext;
  return { ctx, asked: () => n };
}

describe('waitForInstallCdPrompts', () => {
  afterEach(() => vi.restoreAllMocks());
  const stderr = () => {
    let text = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((text += String(s)), true));
    return () => text;
  };

  it('`nova up`: waits until every VM\'s watch is over and says how each ended; other tasks do not count', async () => {
    const out = stderr();
    const pull = { id: 'p', title: 'pull debian', state: 'running', progress: 0.5, startedAt: 1 } as TaskInfo;
    const { ctx, asked } = ctxAnswering([
      [task('a', 'w1', 'running'), task('b', 'w2', 'running'), pull],
      [task('a', 'w1', 'done', 'pressed Enter at the installer CD\'s prompt'), task('b', 'w2', 'running'), pull],
      [task('a', 'w1', 'done', 'pressed Enter at the installer CD\'s prompt'), task('b', 'w2', 'done', 'the VM ended before the installer CD asked for a key'), pull],
    ]);
    await waitForInstallCdPrompts(ctx);
    expect(asked()).toBe(3);
    expect(out()).toBe([
      'w1: waiting to press Enter at the installer CD\'s "Press any key to boot from CD or DVD" (Ctrl-C leaves it to you)',
      'w2: waiting to press Enter at the installer CD\'s "Press any key to boot from CD or DVD" (Ctrl-C leaves it to you)',
      'w1: pressed Enter at the installer CD\'s prompt',
      'w2: the VM ended before the installer CD asked for a key',
      '',
    ].join('\n'));
  });

  it('`nova vm start w1`: only w1\'s watch; nothing running means no wait and no output; --json prints nothing', async () => {
    const out = stderr();
    const one = ctxAnswering([[task('b', 'w2', 'running'), task('a', 'w1', 'done', 'x')]]);
    await waitForInstallCdPrompts(one.ctx, 'w1');
    expect(one.asked()).toBe(1);
    const json = ctxAnswering([[task('a', 'w1', 'running')], [task('a', 'w1', 'done', 'pressed Enter')]], true);
    await waitForInstallCdPrompts(json.ctx, 'w1');
    expect(json.asked()).toBe(2);
    expect(out()).toBe('');
  });
});
