import { create } from 'zustand';

export const VIEWS = [
  { id: 'dashboard', label: 'Dashboard', icon: '◈' },
  { id: 'vms', label: 'VMs', icon: '▣' },
  { id: 'capsules', label: 'Capsules', icon: '⬡' },
  { id: 'networks', label: 'Networks', icon: '⇄' },
  { id: 'topology', label: 'Topology', icon: '⌘' },
  { id: 'gpus', label: 'GPUs', icon: '▦' },
  { id: 'captures', label: 'Captures & Monitoring', icon: '◉' },
  { id: 'storage', label: 'Storage', icon: '⛁' },
  { id: 'projects', label: 'Projects', icon: '❖' },
  { id: 'settings', label: 'Settings', icon: '⚙' },
] as const;
export type ViewId = (typeof VIEWS)[number]['id'];

/** A detail page opened from a list (VM, capsule or network by name). */
export interface Detail {
  kind: 'vm' | 'capsule' | 'network';
  name: string;
  /** The detail page's tab to show first (e.g. a new VM's console). */
  tab?: string;
}

interface NavStore {
  view: ViewId;
  detail?: Detail;
  /** Set by keyboard navigation: the next view header takes focus once it has rendered. */
  wantFocus: boolean;
  go(view: ViewId, detail?: Detail, opts?: { focus?: boolean }): void;
  focusTaken(): void;
}

const KEY = 'nova.view';
const initialView = (): ViewId => {
  try {
    const v = sessionStorage.getItem(KEY);
    if (VIEWS.some((x) => x.id === v)) return v as ViewId;
  } catch {
    /* no storage */
  }
  return 'dashboard';
};

export const useNav = create<NavStore>((set) => ({
  view: initialView(),
  wantFocus: false,
  focusTaken: () => set({ wantFocus: false }),
  go: (view, detail, opts) => {
    try {
      sessionStorage.setItem(KEY, view);
    } catch {
      /* no storage */
    }
    set({ view, detail, wantFocus: Boolean(opts?.focus) });
  },
}));
