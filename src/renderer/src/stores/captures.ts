import { create } from 'zustand';
import { clock } from '../lib/format';
import { asList, call, errorText, isMissingBackend } from '../lib/rpc';
import { toast } from './toasts';

export interface CaptureFile {
  name: string;
  size?: number;
  mtime?: number;
  interface?: string;
  host?: string;
}

interface CaptureStore {
  files: CaptureFile[];
  scannedAt?: number;
  scanning: boolean;
  missing: boolean;
  error?: string;
  /** Scans now unless a scan is running or finished less than MIN_GAP_MS ago (debounce). */
  scan(opts?: { host?: string; manual?: boolean }): Promise<void>;
}

export const MIN_GAP_MS = 2_000;

export const useCaptures = create<CaptureStore>((set, get) => ({
  files: [],
  scanning: false,
  missing: false,
  scan: async ({ host, manual } = {}) => {
    const s = get();
    if (s.scanning || (!manual && s.scannedAt && Date.now() - s.scannedAt < MIN_GAP_MS)) return;
    set({ scanning: true });
    try {
      const out = await call('capture.list', host ? { host } : {});
      const files = asList<CaptureFile>(out, 'captures', 'files');
      const at = Date.now();
      set({ files, scannedAt: at, missing: false, error: undefined });
      if (manual) toast('info', `Scanned captures on ${host ?? 'this host'}`, `${files.length} capture file${files.length === 1 ? '' : 's'} at ${clock(at)}`);
    } catch (e) {
      const missing = isMissingBackend(e, 'capture.list');
      set({ missing, error: missing ? undefined : errorText(e), scannedAt: Date.now() });
      if (manual) toast(missing ? 'warning' : 'error', `Could not scan captures on ${host ?? 'this host'}`, missing ? 'Capture backend not available in this build' : errorText(e));
    } finally {
      set({ scanning: false });
    }
  },
}));
