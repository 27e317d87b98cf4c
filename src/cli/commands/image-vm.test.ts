import { describe, expect, it } from 'vitest';
import type { TaskInfo } from '../../shared/contract/task.js';
import { progressBar } from './image-vm.js';

const t = (progress: number | null, message: string, state: TaskInfo['state'] = 'running'): TaskInfo => ({ id: '1', title: 'pull OS image x', state, progress, message, startedAt: 0 });

describe('the pull progress bar', () => {
  it('redraws one line on a terminal', () => {
    const out: string[] = [];
    const bar = progressBar(true, (s) => out.push(s));
    bar(t(null, 'x: checking SHA256SUMS'));
    bar(t(0.5, 'x: 1 MiB of 2 MiB'));
    bar(t(1, 'done', 'done'));
    expect(out[1]).toBe(`\r[${'#'.repeat(12).padEnd(25)}]  50% x: 1 MiB of 2 MiB\x1b[K`);
    expect(out.at(-1)).toBe('\n');
  });
  it('prints a line per 10 % when not a terminal', () => {
    const out: string[] = [];
    const bar = progressBar(false, (s) => out.push(s));
    for (const p of [0.01, 0.02, 0.11, 0.12, 0.5]) bar(t(p, `${p}`));
    expect(out).toEqual(['1% 0.01\n', '11% 0.11\n', '50% 0.5\n']);
  });
});
