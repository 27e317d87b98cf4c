import { create } from 'zustand';

/** One state change the engine reported (whoever made it: the app, the CLI, a crash). */
export interface Activity {
  at: number;
  kind: 'vm' | 'capsule' | 'network';
  name: string;
  state: string;
  reason?: string;
}

export const ACTIVITY_MAX = 12;

interface ActivityStore {
  items: Activity[];
  add(a: Activity): void;
}

/** Recent state changes, newest first; the same state reported twice in a row is kept once. */
export const useActivity = create<ActivityStore>((set, get) => ({
  items: [],
  add: (a) => {
    const last = get().items.find((x) => x.kind === a.kind && x.name === a.name);
    if (last && last.state === a.state && last.reason === a.reason) return;
    set({ items: [a, ...get().items].slice(0, ACTIVITY_MAX) });
  },
}));
