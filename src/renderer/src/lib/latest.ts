import { errorText } from './rpc';

/**
 * A list loader where only the newest fetch paints: an answer overtaken by a later fetch, or by
 * invalidate() (a live event already applied), is dropped, so an older list never paints back.
 */
export function latestLoader<T>(load: () => Promise<T>, on: { start(): void; done(value: T): void; failed(message: string): void }) {
  let seq = 0;
  return {
    async fetch(): Promise<void> {
      const mine = ++seq;
      on.start();
      try {
        const value = await load();
        if (mine === seq) on.done(value);
      } catch (e) {
        if (mine === seq) on.failed(errorText(e));
      }
    },
    invalidate(): void {
      seq++;
    },
  };
}
