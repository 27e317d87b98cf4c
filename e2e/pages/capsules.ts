import type { Locator, Page } from '@playwright/test';
import { InstancesPage } from './instances';

/** The Capsules view: the list, the Images tab and the New capsule dialog. */
export class CapsulesPage extends InstancesPage {
  constructor(page: Page) {
    super(page, 'capsule');
  }

  async images(): Promise<Locator> {
    await this.page.getByTestId('tab-images').click();
    return this.page.getByTestId('image-table');
  }

  image(shortRef: string): Locator {
    return this.page.getByTestId(`image-${shortRef}`);
  }

  async getImage(mode: 'pull' | 'import', ref: string, opts: { source?: string; insecure?: boolean } = {}): Promise<void> {
    const form = this.page.getByRole('form', { name: 'Get an image' });
    await form.getByLabel('How').selectOption(mode);
    await form.getByLabel('Image reference').fill(ref);
    if (opts.source) await form.getByLabel('Folder or tarball on the host').fill(opts.source);
    if (opts.insecure) await form.getByLabel('Plain HTTP registry').check();
    await form.getByRole('button', { name: mode === 'pull' ? 'Pull' : 'Import' }).click();
  }

  async newCapsule(o: { name: string; image: string; command?: string; env?: Record<string, string>; memory?: string; restart?: string }): Promise<void> {
    await this.page.getByTestId('new-capsule').click();
    const d = this.page.getByRole('dialog', { name: 'New capsule' });
    await d.getByLabel('Name').fill(o.name);
    await d.getByLabel(/^Image/).fill(o.image);
    if (o.command) await d.getByLabel(/^Command/).fill(o.command);
    let i = 1;
    for (const [k, v] of Object.entries(o.env ?? {})) {
      await d.getByRole('button', { name: 'Add variable' }).click();
      await d.getByLabel(`Variable ${i} name`).fill(k);
      await d.getByLabel(`Variable ${i} value`).fill(v);
      i++;
    }
    if (o.memory) await d.getByLabel('Memory limit').fill(o.memory);
    if (o.restart) await d.getByLabel('Restart').selectOption(o.restart);
    await d.getByRole('button', { name: 'Create capsule' }).click();
  }
}
