import { create } from 'zustand';

export interface PromptRequest {
  title: string;
  label: string;
  initial?: string;
  confirmLabel?: string;
  /** Returns an error message for a bad value, or undefined when it is fine. */
  validate?(value: string): string | undefined;
}

interface PromptStore {
  request?: PromptRequest & { resolve(v: string | undefined): void };
  ask(req: PromptRequest): Promise<string | undefined>;
  answer(v: string | undefined): void;
}

export const usePrompt = create<PromptStore>((set, get) => ({
  ask: (req) =>
    new Promise((resolve) => {
      get().request?.resolve(undefined);
      set({ request: { ...req, resolve } });
    }),
  answer: (v) => {
    const r = get().request;
    set({ request: undefined });
    r?.resolve(v);
  },
}));

/** await prompt({...}) → the entered text, or undefined when cancelled. */
export const prompt = (req: PromptRequest): Promise<string | undefined> => usePrompt.getState().ask(req);

const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
export const validName = (v: string): string | undefined =>
  NAME.test(v) ? undefined : 'use 1-63 lowercase letters, digits, "-" or "_", starting with a letter or digit';
