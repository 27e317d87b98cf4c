import type { Locator, Page } from '@playwright/test';
import { openView } from '../fixtures';
import { Feedback } from './common';

/** The Topology view: nodes per resource, drags from an instance onto a switch, links between them. */
export class TopologyPage {
  readonly feedback: Feedback;

  constructor(readonly page: Page) {
    this.feedback = new Feedback(page);
  }

  async open(): Promise<this> {
    await openView(this.page, 'topology');
    return this;
  }

  node(kind: 'vm' | 'capsule' | 'network' | 'uplink', name: string): Locator {
    return this.page.getByTestId(`topo-${kind}-${name}`);
  }

  /** The link of an instance to a switch (an attachment). */
  link(kind: 'vm' | 'capsule', name: string, network: string): Locator {
    return this.page.locator(`.react-flow__edge[data-id="att:${kind}:${name}->${network}"]`);
  }

  /** Drags from the instance's handle onto the switch's attach handle, as a user would with the mouse. */
  async drag(kind: 'vm' | 'capsule', name: string, network: string): Promise<void> {
    const source = this.page.locator(`.react-flow__node[data-id="${kind}:${name}"] .react-flow__handle.source`);
    const target = this.page.locator(`.react-flow__node[data-id="network:${network}"] .react-flow__handle[data-handleid="attach"]`);
    await source.waitFor();
    const a = (await source.boundingBox())!;
    const b = (await target.boundingBox())!;
    await this.page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
    await this.page.mouse.down();
    await this.page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 12 });
    await this.page.mouse.up();
  }

  /** Selects a link and presses Backspace: returns the confirmation dialog it asks with. */
  async askDetach(link: Locator): Promise<Locator> {
    await link.click({ force: true });
    await this.page.keyboard.press('Backspace');
    return this.feedback.confirmDialog;
  }
}
