import type { Locator, Page } from '@playwright/test';
import { openView } from '../fixtures';

/** The Projects view: open a NovaFile folder, its plan diff, Apply / Destroy. */
export class ProjectsPage {
  constructor(readonly page: Page) {}

  async open(): Promise<this> {
    await openView(this.page, 'projects');
    return this;
  }

  async openFolder(folder: string): Promise<void> {
    const form = this.page.getByRole('form', { name: 'Open a project' });
    await form.getByLabel(/^Project folder/).fill(folder);
    await form.getByRole('button', { name: 'Open' }).click();
  }

  get detail(): Locator {
    return this.page.getByTestId('project-detail');
  }

  get issues(): Locator {
    return this.page.getByTestId('novafile-issues');
  }

  get summary(): Locator {
    return this.page.getByTestId('plan-summary');
  }

  /** One item's line of the plan diff (kind is the plan's: vm, capsule, network, image). */
  change(kind: string, name: string): Locator {
    return this.page.getByTestId(`plan-${kind}-${name}`);
  }

  get outcomes(): Locator {
    return this.page.getByTestId('apply-outcomes');
  }

  button(label: 'Re-plan' | 'Apply' | 'Destroy'): Locator {
    return this.detail.getByRole('button', { name: label, exact: true });
  }
}
