import { create } from 'zustand';
import type { ImageInfo } from '../../../shared/contract/capsule.js';
import { debounce } from '../lib/debounce';
import { call, errorText } from '../lib/rpc';

export type ImageRow = ImageInfo;

interface ImagesStore {
  items: ImageRow[];
  status: 'idle' | 'loading' | 'ready' | 'error';
  error?: string;
  fetch(): Promise<void>;
  /** On image.changed and capsule changes (usage); debounced. */
  refetch(): void;
}

export const useImages = create<ImagesStore>((set, get) => {
  let seq = 0;
  const fetch = async () => {
    const mine = ++seq;
    if (get().status === 'idle') set({ status: 'loading' });
    try {
      const out = await call<{ items: ImageRow[] }>('image.list', {});
      if (mine === seq) set({ items: out.items, status: 'ready', error: undefined });
    } catch (e) {
      if (mine === seq) set({ status: 'error', error: errorText(e) });
    }
  };
  return { items: [], status: 'idle', fetch, refetch: debounce(() => void fetch(), 300) };
});

/** "docker.io/library/busybox:latest" → "busybox:latest" (what people type). */
export const shortRef = (ref: string): string => ref.replace(/^docker\.io\/(library\/)?/, '');
