import { create } from 'zustand';

// The project folders this window has opened (a NovaFile in each), kept in the browser's storage:
// what a project *is* lives in its NovaFile and on the host, this is only the list of bookmarks.

const KEY = 'nova.projects';

const load = (): string[] => {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) ?? '[]') as unknown;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
};

const save = (folders: string[]) => {
  try {
    localStorage.setItem(KEY, JSON.stringify(folders));
  } catch {
    /* no storage: the list lasts this session */
  }
};

interface ProjectStore {
  folders: string[];
  selected?: string;
  open(folder: string): void;
  forget(folder: string): void;
  select(folder: string | undefined): void;
}

export const useProjects = create<ProjectStore>((set, get) => ({
  folders: load(),
  open: (folder) => {
    const folders = [folder, ...get().folders.filter((f) => f !== folder)];
    save(folders);
    set({ folders, selected: folder });
  },
  forget: (folder) => {
    const folders = get().folders.filter((f) => f !== folder);
    save(folders);
    set({ folders, selected: get().selected === folder ? undefined : get().selected });
  },
  select: (folder) => set({ selected: folder }),
}));
