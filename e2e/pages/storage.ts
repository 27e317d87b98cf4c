import type { Locator, Page } from '@playwright/test';
import { openView } from '../fixtures';

/** The Storage view: pool cards, the add-folder form, the files table. */
export class StoragePage {
  constructor(readonly page: Page) {}

  async open(): Promise<this> {
    await openView(this.page, 'storage');
    return this;
  }

  pool(name: string): Locator {
    return this.page.getByTestId(`pool-${name}`);
  }

  file(name: string): Locator {
    return this.page.getByTestId(`file-${name}`);
  }

  async addFolder(name: string, path: string): Promise<void> {
    const form = this.page.getByRole('form', { name: 'Add a folder as a pool' });
    await form.getByLabel('Name').fill(name);
    await form.getByLabel('Folder').fill(path);
    await form.getByRole('button', { name: 'Add folder' }).click();
  }

  async refresh(): Promise<void> {
    await this.page.getByRole('button', { name: 'Refresh', exact: true }).click();
  }
}
