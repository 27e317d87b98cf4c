import type { Locator, Page } from '@playwright/test';
import { openView } from '../fixtures';
import { DetailHeader, Feedback, stateBadge } from './common';

const VIEW = { vm: 'vms', capsule: 'capsules', network: 'networks' } as const;

/** The VMs, Capsules or Networks list: rows by name, their state badge and row buttons; the detail header. */
export class InstancesPage {
  readonly header: DetailHeader;
  readonly feedback: Feedback;

  constructor(readonly page: Page, readonly kind: 'vm' | 'capsule' | 'network') {
    this.header = new DetailHeader(page);
    this.feedback = new Feedback(page);
  }

  async open(): Promise<this> {
    await openView(this.page, VIEW[this.kind]);
    return this;
  }

  row(name: string): Locator {
    return this.page.getByTestId(`row-${name}`);
  }

  /** The row's state badge ("running", "Active", …). */
  badge(name: string): Locator {
    return stateBadge(this.row(name));
  }

  button(name: string, label: string): Locator {
    return this.row(name).getByRole('button', { name: label, exact: true });
  }

  /** The detail page of one instance. */
  async openDetail(name: string): Promise<void> {
    await this.row(name).getByRole('button', { name, exact: true }).click();
  }

  /** The open detail page's state badge. */
  get detailState(): Locator {
    return this.header.state;
  }

  /** Presses a detail-page action that asks first, and returns the confirmation dialog. */
  async askFromDetail(action: string): Promise<Locator> {
    await this.header.button(action).click();
    return this.feedback.confirmDialog;
  }

  /** Presses a row action that asks first, and returns the confirmation dialog. */
  async askFromRow(name: string, action: string): Promise<Locator> {
    await this.button(name, action).click();
    return this.feedback.confirmDialog;
  }
}
