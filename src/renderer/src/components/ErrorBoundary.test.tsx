// @vitest-environment happy-dom
import { act } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { click, render } from '../test/render';
import { ErrorBoundary } from './ErrorBoundary';

let fail = true;
function Flaky() {
  if (fail) throw new Error('host.info answered an unknown shape');
  return <p data-testid="fine">fine</p>;
}

describe('ErrorBoundary', () => {
  it('a view that throws shows what failed, its neighbours stay, and Try again renders it anew', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined); // React and the boundary log it
    const { container, unmount } = await render(
      <div>
        <ErrorBoundary what="This view">
          <Flaky />
        </ErrorBoundary>
        <footer data-testid="status">status bar</footer>
      </div>,
    );
    expect(container.querySelector('[data-testid="render-error"]')?.textContent).toContain('This view failed to show: host.info answered an unknown shape');
    expect(container.querySelector('[data-testid="status"]')).not.toBeNull();
    fail = false;
    await act(async () => click(container.querySelector('[data-testid="render-error"] button')!));
    expect(container.querySelector('[data-testid="fine"]')).not.toBeNull();
    expect(container.querySelector('[data-testid="render-error"]')).toBeNull();
    await unmount();
    vi.restoreAllMocks();
  });
});
