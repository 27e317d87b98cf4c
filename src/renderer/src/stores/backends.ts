import { create } from 'zustand';
import { call, errorCode, isMissingBackend } from '../lib/rpc';

// Which backends this engine build has. Each area is probed with one harmless call; only the
// dispatcher's "unknown method / no backend" answer marks it missing (any other answer, even an
// error such as NOT_FOUND for the probe name, proves the backend is there).
export const AREAS = {
  vm: { method: 'vm.inspect', input: { name: 'nova-ui-probe' }, label: 'VM' },
  capsule: { method: 'capsule.inspect', input: { name: 'nova-ui-probe' }, label: 'Capsule' },
  network: { method: 'network.list', input: {}, label: 'Network' },
  gpu: { method: 'gpu.list', input: {}, label: 'GPU' },
  capture: { method: 'network.capture.list', input: {}, label: 'Capture' },
} as const;
export type Area = keyof typeof AREAS;
export type Availability = 'unknown' | 'present' | 'missing';

interface BackendStore {
  areas: Record<Area, Availability>;
  probe(area: Area): Promise<Availability>;
  mark(area: Area, a: Availability): void;
}

export const useBackends = create<BackendStore>((set, get) => ({
  areas: { vm: 'unknown', capsule: 'unknown', network: 'unknown', gpu: 'unknown', capture: 'unknown' },
  mark: (area, a) => set({ areas: { ...get().areas, [area]: a } }),
  probe: async (area) => {
    const { method, input } = AREAS[area];
    let a: Availability;
    try {
      await call(method, input);
      a = 'present';
    } catch (e) {
      // A lost connection proves nothing either way: stay unknown and probe again later.
      a = isMissingBackend(e, method) ? 'missing' : errorCode(e) === 'INTERNAL' ? 'unknown' : 'present';
    }
    get().mark(area, a);
    return a;
  },
}));

export const missingText = (area: Area): string => `${AREAS[area].label} backend not available in this build`;
