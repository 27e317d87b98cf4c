import { beforeEach, describe, expect, it } from 'vitest';
import { ACTIVITY_MAX, useActivity } from './activity';

describe('recent activity', () => {
  beforeEach(() => useActivity.setState({ items: [] }));

  it('keeps state changes newest first, once per repeated report, at most ACTIVITY_MAX', () => {
    const add = useActivity.getState().add;
    add({ at: 1, kind: 'vm', name: 'web', state: 'starting' });
    add({ at: 2, kind: 'vm', name: 'web', state: 'running' });
    add({ at: 3, kind: 'vm', name: 'web', state: 'running' }); // the watcher and QMP both said so
    add({ at: 4, kind: 'capsule', name: 'db', state: 'crashed', reason: 'killed by SIGKILL' });
    expect(useActivity.getState().items.map((a) => [a.at, a.name, a.state])).toEqual([[4, 'db', 'crashed'], [2, 'web', 'running'], [1, 'web', 'starting']]);
    for (let i = 0; i < 20; i++) add({ at: 10 + i, kind: 'network', name: `n${i}`, state: 'Active' });
    expect(useActivity.getState().items).toHaveLength(ACTIVITY_MAX);
    expect(useActivity.getState().items[0]!.name).toBe('n19');
  });
});
