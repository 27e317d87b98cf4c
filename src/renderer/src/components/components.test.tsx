// @vitest-environment happy-dom
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { act } from 'react';
import { engineBridge } from '../test/engineBridge';
import type { TestEngine } from '../test/engineBridge';
import { click, render, waitFor } from '../test/render';
import { confirm } from '../stores/confirm';
import { useHost } from '../stores/host';
import { useNav } from '../stores/nav';
import { ConfirmDialog } from './ConfirmDialog';
import { Sidebar } from './Sidebar';
import { StatusBar } from './StatusBar';
import { EmptyState } from './EmptyState';

describe('shell components', () => {
  let t: TestEngine;
  beforeAll(async () => {
    t = await engineBridge();
  });
  afterAll(async () => t.home.cleanup());

  it('confirm() resolves true only from the confirm button', async () => {
    const { unmount } = await render(<ConfirmDialog />);
    let answer: boolean | undefined;
    await act(async () => void confirm({ title: 'Delete web?', body: 'Disks are kept.', confirmLabel: 'Delete', danger: true }).then((a) => (answer = a)));
    await waitFor(() => expect(document.body.textContent).toContain('Delete web?'));
    const buttons = [...document.querySelectorAll('[data-testid="confirm-dialog"] button')];
    await click(buttons.find((b) => b.textContent === 'Cancel'));
    await waitFor(() => expect(answer).toBe(false));
    await act(async () => void confirm({ title: 'Again?', body: '' }).then((a) => (answer = a)));
    await waitFor(() => expect(document.querySelector('[data-testid="confirm-dialog"]')).not.toBeNull());
    await click([...document.querySelectorAll('[data-testid="confirm-dialog"] button')].find((b) => b.textContent === 'Confirm'));
    await waitFor(() => expect(answer).toBe(true));
    await unmount();
  });

  it('sidebar: arrow keys move focus, click opens a view', async () => {
    const { container, unmount } = await render(<Sidebar />);
    const first = container.querySelector<HTMLButtonElement>('[data-testid="nav-dashboard"]')!;
    first.focus();
    await act(async () => first.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowUp', bubbles: true })));
    expect(document.activeElement?.getAttribute('data-testid')).toBe('nav-settings');
    await click(container.querySelector('[data-testid="nav-gpus"]'));
    expect(useNav.getState().view).toBe('gpus');
    await unmount();
  });

  it('status bar shows the accelerator from the real host probe, warning when not KVM', async () => {
    await useHost.getState().fetch();
    const info = useHost.getState().info!;
    const { container, unmount } = await render(<StatusBar />);
    const accel = container.querySelector('[data-testid="accelerator"]')!;
    expect(accel.textContent).toContain(info.accelerator.kind.toUpperCase());
    expect(accel.classList.contains('warn')).toBe(info.accelerator.kind !== 'kvm');
    expect(container.querySelector('[data-testid="tasks"]')!.textContent).toContain('No tasks running');
    await unmount();
  });

  it('empty states carry what to do', async () => {
    const { container, unmount } = await render(<EmptyState title="No VMs yet" hint="Create one with New VM…" />);
    expect(container.textContent).toContain('Create one with New VM…');
    expect(container.querySelector('[role="status"]')).not.toBeNull();
    await unmount();
  });
});
