import type { Locator, Page } from '@playwright/test';

/** The Snapshots tab of a VM or capsule detail page. */
export class SnapshotsPanel {
  constructor(readonly page: Page) {}

  async open(): Promise<this> {
    await this.page.getByTestId('tab-snapshots').click();
    return this;
  }

  get table(): Locator {
    return this.page.getByTestId('snapshot-table');
  }

  get progress(): Locator {
    return this.page.getByTestId('snapshot-progress');
  }

  row(tag: string): Locator {
    return this.page.getByTestId(`snapshot-${tag}`);
  }

  async take(tag: string): Promise<void> {
    const form = this.page.getByRole('form', { name: 'Take a snapshot' });
    await form.getByLabel('Snapshot name').fill(tag);
    await form.getByRole('button', { name: 'Take snapshot' }).click();
  }

  /** Presses the row's button, then the confirmation dialog's button of the same name. */
  async confirmRow(tag: string, action: 'Restore' | 'Delete'): Promise<Locator> {
    await this.row(tag).getByRole('button', { name: action }).click();
    const dialog = this.page.getByTestId('confirm-dialog');
    await dialog.getByRole('button', { name: action }).waitFor();
    return dialog;
  }
}
