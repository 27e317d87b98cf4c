import { create } from 'zustand';

export type ToastLevel = 'info' | 'success' | 'warning' | 'error';
export interface Toast {
  id: number;
  level: ToastLevel;
  title: string;
  body?: string;
}

interface ToastStore {
  toasts: Toast[];
  push(t: Omit<Toast, 'id'>, ttlMs?: number): number;
  dismiss(id: number): void;
}

let nextId = 1;
const MAX_VISIBLE = 8;

export const useToasts = create<ToastStore>((set, get) => ({
  toasts: [],
  push: (t, ttlMs = t.level === 'error' ? 12_000 : 6_000) => {
    const id = nextId++;
    set({ toasts: [...get().toasts, { ...t, id }].slice(-MAX_VISIBLE) });
    if (ttlMs > 0) setTimeout(() => get().dismiss(id), ttlMs);
    return id;
  },
  dismiss: (id) => set({ toasts: get().toasts.filter((t) => t.id !== id) }),
}));

export const toast = (level: ToastLevel, title: string, body?: string): number => useToasts.getState().push({ level, title, ...(body ? { body } : {}) });
