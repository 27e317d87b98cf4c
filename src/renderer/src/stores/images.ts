import { create } from 'zustand';
import type { ImageInfo } from '../../../shared/contract/capsule.js';
import { debounce } from '../lib/debounce';
import { latestLoader } from '../lib/latest';
import { call } from '../lib/rpc';

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
  const { fetch } = latestLoader(() => call('image.list', {}), {
    start: () => get().status === 'idle' && set({ status: 'loading' }),
    done: (out) => set({ items: out.items, status: 'ready', error: undefined }),
    failed: (error) => set({ status: 'error', error }),
  });
  return { items: [], status: 'idle', fetch, refetch: debounce(() => void fetch(), 300) };
});

/** "docker.io/library/busybox:latest" → "busybox:latest" (what people type). */
export const shortRef = (ref: string): string => ref.replace(/^docker\.io\/(library\/)?/, '');
