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
