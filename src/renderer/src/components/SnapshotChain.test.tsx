// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import type { VmDiskChain } from '../../../shared/contract/vm.js';
import { click, render } from '../test/render';
import { SnapshotChain } from './SnapshotChain';

const layer = (file: string, current: boolean, externalTag?: string) => ({ file, format: 'qcow2', sizeBytes: 1 << 20, virtualSize: 64 << 20, current, snapshots: [], ...(externalTag ? { externalTag } : {}) });
const chains: VmDiskChain[] = [{ node: 'disk0', layers: [layer('/d/base.qcow2', false), layer('/v/disk0-ext-1.qcow2', false, 'ext-1'), layer('/v/disk0-ext-2.qcow2', true, 'ext-2')] }];
const buttons = (tag: string) => [...document.querySelectorAll(`[data-testid="chain-disk0-${tag}"] > .chain-line button`)] as HTMLButtonElement[];

describe('SnapshotChain actions', () => {
  it('offers Restore and Delete on each external snapshot (not the base) and says which was pressed', async () => {
    const pressed: string[] = [];
    const { unmount } = await render(<SnapshotChain chains={chains} actions={{ restore: (t) => pressed.push(`restore ${t}`), remove: (t) => pressed.push(`delete ${t}`) }} />);
    expect(buttons('base')).toHaveLength(0);
    expect(buttons('ext-1').map((b) => b.textContent)).toEqual(['Restore', 'Delete']);
    await click(buttons('ext-1')[0]);
    await click(buttons('ext-2')[1]);
    expect(pressed).toEqual(['restore ext-1', 'delete ext-2']);
    await unmount();
  });

  it('turns them off with the reason while the VM runs', async () => {
    const { unmount } = await render(<SnapshotChain chains={chains} actions={{ restore: () => undefined, remove: () => undefined, disabled: 'Stop w to restore or delete an external snapshot' }} />);
    expect(buttons('ext-1').every((b) => b.disabled)).toBe(true);
    expect(buttons('ext-1')[0]!.title).toBe('Stop w to restore or delete an external snapshot');
    expect(document.querySelector('[data-testid="snapshot-chain"]')!.textContent).toContain('Stop w to restore or delete an external snapshot.');
    await unmount();
  });
});
