// @vitest-environment happy-dom
import { act } from 'react';
import { describe, expect, it } from 'vitest';
import { render } from '../test/render';
import { NumberField } from './NumberField';

/** Types into a controlled input the way React listens for it. */
async function type(input: HTMLInputElement, value: string) {
  const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!;
  await act(async () => {
    setter.call(input, value);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
}

describe('NumberField', () => {
  it('lets the user type through out-of-range drafts and commits only valid values', async () => {
    const commits: number[] = [];
    const { container, unmount } = await render(<NumberField value={30} min={15} max={120} label="interval" onCommit={(v) => commits.push(v)} />);
    const input = container.querySelector('input')!;
    await type(input, '4'); // on the way to 45: not committed, but kept on screen
    expect(input.value).toBe('4');
    expect(input.getAttribute('aria-invalid')).toBe('true');
    await type(input, '45');
    expect(commits).toEqual([45]);
    await type(input, '500');
    expect(commits).toEqual([45]);
    await act(async () => input.dispatchEvent(new FocusEvent('focusout', { bubbles: true })));
    expect(input.value).toBe('30'); // reverts to the saved value on blur
    await unmount();
  });
});
