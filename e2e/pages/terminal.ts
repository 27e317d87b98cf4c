import type { Locator, Page } from '@playwright/test';

/** The Terminal tab of a capsule or VM detail page (xterm.js on an engine terminal session). */
export class TerminalPanel {
  constructor(readonly page: Page) {}

  async open(): Promise<this> {
    await this.page.getByTestId('tab-terminal').click();
    return this;
  }

  get status(): Locator {
    return this.page.getByTestId('terminal-status');
  }

  /** xterm's rendered rows (the DOM renderer keeps the screen as text). */
  get screen(): Locator {
    return this.page.getByTestId('terminal').locator('.xterm-rows');
  }

  /** A row of the screen whose whole text is `text`. */
  line(text: string): Locator {
    const escaped = text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return this.screen.locator(':scope > div').filter({ hasText: new RegExp(`^\\s*${escaped}\\s*$`) });
  }

  /** Columns and rows the terminal shows (and told the engine). */
  async size(): Promise<{ cols: number; rows: number }> {
    const [cols, rows] = ((await this.page.getByTestId('terminal').getAttribute('data-size')) ?? '').split('x').map(Number);
    return { cols: cols!, rows: rows! };
  }

  /** Types like a person at the keyboard, into the focused terminal. */
  async type(text: string): Promise<void> {
    await this.page.getByTestId('terminal').click();
    await this.page.keyboard.type(text);
  }
}
