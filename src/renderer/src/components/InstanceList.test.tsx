// @vitest-environment happy-dom
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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

describe('InstanceList with the VM backend', () => {
  let t: TestEngine;
  beforeAll(async () => {
    t = await engineBridge('all');
    const { home, engine } = t;
    // A kernel file in the data dir (an allowed root): nothing boots here, only the definitions count.
    mkdirSync(join(home.dir, 'data'), { recursive: true });
    const kernel = join(home.dir, 'data', 'vmlinuz');
    writeFileSync(kernel, '');
    const base = { network: 'user', memory: '128Mi', kernel };
    await engine.dispatcher.invoke('vm.create', { name: 'boots', spec: { ...base, autostart: true } });
    await engine.dispatcher.invoke('vm.create', { name: 'stays', spec: base });
  });
  afterAll(async () => t.home.cleanup());

  it('marks the guests that start at host boot (autostart = true)', async () => {
    await useResources.getState().fetch();
    const { container, unmount } = await render(<InstanceList kind="vm" emptyHint="Create one" />);
    await waitFor(() => expect(container.querySelector('[data-testid="autostart-boots"]')?.textContent).toBe('starts at boot'));
    expect(container.querySelector('[data-testid="row-stays"]')).not.toBeNull();
    expect(container.querySelector('[data-testid="autostart-stays"]')).toBeNull();
    await unmount();
  });
});
