import type { Locator, Page } from '@playwright/test';
import { InstancesPage } from './instances';

/** The Networks view: the list, the New network dialog and a network's detail page. */
export class NetworksPage extends InstancesPage {
  constructor(page: Page) {
    super(page, 'network');
  }

  get dialog(): Locator {
    return this.page.getByRole('dialog', { name: 'New network' });
  }

  get createButton(): Locator {
    return this.dialog.getByRole('button', { name: 'Create network' });
  }

  get detail(): Locator {
    return this.page.getByTestId('network-detail');
  }

  async openDialog(): Promise<Locator> {
    await this.page.getByTestId('new-network').click();
    return this.dialog;
  }

  /** Fills the dialog; `suggest` presses Suggest for the DHCP range after the subnet. */
  async fill(o: { name?: string; subnet?: string; suggest?: boolean }): Promise<void> {
    if (o.name !== undefined) await this.dialog.getByLabel('Name').fill(o.name);
    if (o.subnet !== undefined) await this.dialog.getByLabel('Subnet (gateway/prefix)').fill(o.subnet);
    if (o.suggest) await this.dialog.getByRole('button', { name: 'Suggest' }).click();
  }

  dhcpStart(): Locator {
    return this.dialog.getByLabel('DHCP start');
  }

  /** The removal dialog shown when the switch is still in use. */
  get removeDialog(): Locator {
    return this.page.getByTestId('network-remove-dialog');
  }

  /** One user of the switch in the removal dialog (`vm`/`capsule`, name). */
  user(kind: 'vm' | 'capsule', name: string): Locator {
    return this.removeDialog.getByTestId(`user-${kind}-${name}`);
  }

  async back(): Promise<void> {
    await this.page.getByRole('button', { name: '← Back' }).click();
  }
}
