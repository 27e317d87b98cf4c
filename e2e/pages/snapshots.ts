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

  /** The disk chain tree under the list (VMs). */
  get chain(): Locator {
    return this.page.getByTestId('snapshot-chain');
  }

  /** One layer of a disk's chain: `base`, or the tag of the external snapshot that made it. */
  chainLayer(node: string, tag: string): Locator {
    return this.page.getByTestId(`chain-${node}-${tag}`);
  }

  /** Restore or Delete on an external snapshot's own line of the chain (not a nested layer's). */
  chainButton(node: string, tag: string, action: 'Restore' | 'Delete'): Locator {
    return this.chainLayer(node, tag).locator('> .chain-line').getByRole('button', { name: action });
  }

  /** Presses an external snapshot's button in the chain, then the confirmation's button of the same name. */
  async confirmChain(node: string, tag: string, action: 'Restore' | 'Delete'): Promise<Locator> {
    await this.chainButton(node, tag, action).click();
    const dialog = this.page.getByTestId('confirm-dialog');
    await dialog.getByRole('button', { name: action }).waitFor();
    return dialog;
  }

  async take(tag: string, o: { external?: boolean } = {}): Promise<void> {
    const form = this.page.getByRole('form', { name: 'Take a snapshot' });
    await form.getByLabel('Snapshot name').fill(tag);
    if (o.external !== undefined) await form.getByLabel('External (new overlay file)').setChecked(o.external);
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
