import { create } from 'zustand';

export interface ConfirmRequest {
  title: string;
  body: string;
  confirmLabel?: string;
  danger?: boolean;
}

interface ConfirmStore {
  request?: ConfirmRequest & { resolve(ok: boolean): void };
  ask(req: ConfirmRequest): Promise<boolean>;
  answer(ok: boolean): void;
}

export const useConfirm = create<ConfirmStore>((set, get) => ({
  ask: (req) =>
    new Promise<boolean>((resolve) => {
      get().request?.resolve(false);
      set({ request: { ...req, resolve } });
    }),
  answer: (ok) => {
    const r = get().request;
    set({ request: undefined });
    r?.resolve(ok);
  },
}));

/** await confirm({...}) → true only when the user pressed the confirm button. */
export const confirm = (req: ConfirmRequest): Promise<boolean> => useConfirm.getState().ask(req);
