import type { Locator, Page } from '@playwright/test';

/** The New VM wizard dialog, step by step. */
export class VmWizardPage {
  readonly dialog: Locator;

  constructor(readonly page: Page) {
    this.dialog = page.getByRole('dialog', { name: 'New virtual machine' });
  }

  async open(): Promise<this> {
    await this.page.getByTestId('new-vm').click();
    return this;
  }

  next(): Promise<void> {
    return this.dialog.getByRole('button', { name: 'Next' }).click();
  }

  /** Clicks Next until the step description names `step`. */
  async goTo(step: string): Promise<void> {
    for (let i = 0; i < 10 && !(await this.dialog.getByText(new RegExp(`: ${step}$`)).isVisible()); i++) await this.next();
  }
}
