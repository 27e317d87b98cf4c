import { act } from 'react';
import type { ReactNode } from 'react';
import { createRoot } from 'react-dom/client';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

/** Renders into a fresh container; returns it and an unmount. */
export async function render(ui: ReactNode): Promise<{ container: HTMLElement; unmount(): Promise<void> }> {
  const container = document.createElement('div');
  document.body.append(container);
  const root = createRoot(container);
  await act(async () => root.render(ui));
  return {
    container,
    unmount: async () => {
      await act(async () => root.unmount());
      container.remove();
    },
  };
}

/** Waits until `check` passes (React updates flushed between tries). */
export async function waitFor(check: () => void, ms = 3_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      check();
      return;
    } catch (e) {
      if (Date.now() > end) throw e;
      await act(async () => new Promise((r) => setTimeout(r, 20)));
    }
  }
}

export const click = async (el: Element | null | undefined): Promise<void> => {
  if (!el) throw new Error('nothing to click');
  await act(async () => (el as HTMLElement).click());
};
