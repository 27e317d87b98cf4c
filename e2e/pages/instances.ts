import type { Locator, Page } from '@playwright/test';
import { openView } from '../fixtures';

/** The VMs or Capsules list: rows by name, their state badge and row buttons. */
export class InstancesPage {
  constructor(readonly page: Page, readonly kind: 'vm' | 'capsule') {}

  async open(): Promise<this> {
    await openView(this.page, this.kind === 'vm' ? 'vms' : 'capsules');
    return this;
  }

  row(name: string): Locator {
    return this.page.getByTestId(`row-${name}`);
  }

  badge(name: string): Locator {
    return this.row(name).locator('.badge');
  }

  button(name: string, label: string): Locator {
    return this.row(name).getByRole('button', { name: label, exact: true });
  }

  /** The detail page of one instance. */
  async openDetail(name: string): Promise<void> {
    await this.row(name).getByRole('button', { name, exact: true }).click();
  }
}
