import { create } from 'zustand';
import { clock } from '../lib/format';
import { call, errorText } from '../lib/rpc';
import { toast } from './toasts';

/** A capture as `network.capture.list` returns it. */
export interface CaptureFile {
  id: string;
  network: string;
  file: string;
  running: boolean;
  size: number;
  packets: number;
  first?: number;
  last?: number;
}

export const CAPTURE_LIST = 'network.capture.list';

interface CaptureStore {
  files: CaptureFile[];
  dir?: string;
  scannedAt?: number;
  scanning: boolean;
  error?: string;
  /**
   * Scans the captures folder. Automatic scans are debounced (none while one runs or within
   * MIN_GAP_MS of the last); a manual scan always runs and reports what it scanned in a toast.
   */
  scan(opts?: { host?: string; manual?: boolean }): Promise<void>;
}

export const MIN_GAP_MS = 2_000;

export const useCaptures = create<CaptureStore>((set, get) => ({
  files: [],
  scanning: false,
  scan: async ({ host, manual } = {}) => {
    const s = get();
    if (s.scanning || (!manual && s.scannedAt && Date.now() - s.scannedAt < MIN_GAP_MS)) return;
    set({ scanning: true });
    const where = host ?? 'this host';
    try {
      const out = await call(CAPTURE_LIST, {});
      const at = Date.now();
      set({ files: out.items, dir: out.dir, scannedAt: at, error: undefined });
      if (manual) toast('info', `Scanned captures on ${where}`, `${out.dir}: ${out.items.length} capture file${out.items.length === 1 ? '' : 's'} at ${clock(at)}`);
    } catch (e) {
      set({ error: errorText(e), scannedAt: Date.now() });
      if (manual) toast('error', `Could not scan captures on ${where}`, errorText(e));
    } finally {
      set({ scanning: false });
    }
  },
}));
