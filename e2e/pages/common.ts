import type { Locator, Page } from '@playwright/test';

/** A resource's state as its badge shows it (StateBadge: text and data-state). */
export const stateBadge = (scope: Locator): Locator => scope.locator('[data-state]').first();

/** The open detail page's header: its title and state badge. */
export class DetailHeader {
  constructor(readonly page: Page) {}

  get root(): Locator {
    return this.page.getByTestId('view-header');
  }

  /** The state badge under the title. */
  get state(): Locator {
    return stateBadge(this.root);
  }

  /** A header action button ("Start", "Force stop", "Delete", …). */
  button(label: string): Locator {
    return this.root.getByRole('button', { name: label, exact: true });
  }
}

/** The app's confirmation dialog and toasts. */
export class Feedback {
  constructor(readonly page: Page) {}

  get confirmDialog(): Locator {
    return this.page.getByTestId('confirm-dialog');
  }

  /** Presses `label` in the confirmation dialog (the dialog must be open). */
  confirm(label: string): Promise<void> {
    return this.confirmDialog.getByRole('button', { name: label, exact: true }).click();
  }

  cancel(): Promise<void> {
    return this.confirmDialog.getByRole('button', { name: 'Cancel', exact: true }).click();
  }

  toast(text: string | RegExp): Locator {
    return this.page.getByTestId('toast').filter({ hasText: text });
  }
}

/** Elements whose box reaches outside the viewport (the topology canvas pans freely: skipped). */
export function overflowing(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const out: string[] = [];
    for (const el of Array.from(document.querySelectorAll('body *'))) {
      if (el.closest('.react-flow')) continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      if (r.right > width + 1 || r.left < -1) {
        const id = el.getAttribute('data-testid') ?? el.className.toString().slice(0, 40);
        out.push(`<${el.tagName.toLowerCase()} ${id}> ${Math.round(r.left)}..${Math.round(r.right)} (viewport ${width}): "${(el.textContent ?? '').trim().slice(0, 40)}"`);
      }
    }
    // A view that scrolls sideways hides its overflow from the check above.
    for (const el of Array.from(document.querySelectorAll<HTMLElement>('.view, .modal'))) {
      if (el.scrollWidth > el.clientWidth + 1) out.push(`${el.className} scrolls sideways: ${el.scrollWidth} > ${el.clientWidth}`);
    }
    return out.slice(0, 10);
  });
}
