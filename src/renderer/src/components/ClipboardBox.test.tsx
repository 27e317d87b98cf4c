// @vitest-environment happy-dom
import { act } from 'react';
import { describe, expect, it } from 'vitest';
import { click, render } from '../test/render';
import { ClipboardBox } from './ClipboardBox';

async function type(area: HTMLTextAreaElement, value: string) {
  const setter = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value')!.set!;
  await act(async () => {
    setter.call(area, value);
    area.dispatchEvent(new Event('input', { bubbles: true }));
  });
}
let root: HTMLElement;
const q = (id: string) => root.querySelector(`[data-testid="${id}"]`);
const sendButton = () => [...root.querySelectorAll('.clipboard-box button')].find((b) => b.textContent === 'Send to guest') as HTMLButtonElement;

describe('ClipboardBox (the VM console\'s clipboard)', () => {
  it('sends the typed text to the guest once connected and shows what the guest copied', async () => {
    const sent: string[] = [];
    const { container, unmount } = await render(<ClipboardBox connected guestText="from the guest ✓" send={(t) => sent.push(t)} />);
    root = container;
    expect(sendButton().disabled).toBe(true); // nothing typed yet
    await type(q('clipboard-text') as HTMLTextAreaElement, 'ls -la /tmp\né');
    await click(sendButton());
    expect(sent).toEqual(['ls -la /tmp\né']);
    expect(q('clipboard-sent')!.textContent).toBe('sent 13 characters');
    expect(q('guest-clipboard')!.textContent).toBe('from the guest ✓');
    await unmount();
  });

  it('stays off while the console is not connected and says what the guest needs', async () => {
    const sent: string[] = [];
    const { container, unmount } = await render(<ClipboardBox connected={false} send={(t) => sent.push(t)} />);
    root = container;
    await type(q('clipboard-text') as HTMLTextAreaElement, 'x');
    expect(sendButton().disabled).toBe(true);
    expect(sendButton().title).toBe('the console is not connected');
    expect(q('guest-clipboard-empty')!.textContent).toContain('clipboard = true');
    expect(sent).toEqual([]);
    await unmount();
  });
});
