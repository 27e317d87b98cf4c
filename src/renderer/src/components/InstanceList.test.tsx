// @vitest-environment happy-dom
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineBridge } from '../test/engineBridge';
import type { TestEngine } from '../test/engineBridge';
import { render, waitFor } from '../test/render';
import { useResources } from '../stores/resources';
import { InstanceList } from './InstanceList';

describe('InstanceList on a real engine', () => {
  let t: TestEngine;
  beforeAll(async () => {
    t = await engineBridge();
  });
  afterAll(async () => t.home.cleanup());

  it('an empty list says how to create one', async () => {
    await useResources.getState().fetch();
    const { container, unmount } = await render(<InstanceList kind="vm" emptyHint="Create one" />);
    await waitFor(() => expect(container.querySelector('[data-testid="empty-state"]')?.textContent).toContain('Create one'));
    await unmount();
  });

  it('rows from resource.list get the actions their state allows', async () => {
    t.engine.resources.provide('capsule', async () => [
      { kind: 'capsule', name: 'web', state: 'running' },
      { kind: 'capsule', name: 'db', state: 'exited', reason: 'exit code 1' },
    ]);
    await useResources.getState().fetch();
    const { container, unmount } = await render(<InstanceList kind="capsule" emptyHint="Create one" />);
    const labels = (row: string) => [...container.querySelectorAll(`[data-testid="row-${row}"] .row-actions button`)].map((b) => b.textContent);
    await waitFor(() => expect(labels('web')).toContain('Stop'));
    expect(labels('web')).toEqual(expect.arrayContaining(['Force stop', 'Restart', 'Pause', 'Snapshot', 'Delete']));
    expect(labels('web')).not.toContain('Start');
    expect(labels('web')).not.toContain('Clone'); // VMs only
    expect(labels('db')).toContain('Start');
    expect(labels('db')).not.toContain('Pause');
    expect(container.querySelector('[data-testid="row-db"]')!.textContent).toContain('exit code 1');
    await unmount();
  });
});
