import type { EventPayload } from '../../shared/contract.js';
import type { Engine, EngineModule } from '../engine.js';
import { buildBundle } from './bundle.js';
import { runPreflight } from './preflight.js';

const KEEP_SAMPLES = 2000;
const samples = new WeakMap<Engine, EventPayload<'metrics.sample'>[]>();

/** Recent metrics samples this engine saw (a long-running `nova serve` or the app), for bundles. */
export function recentMetrics(engine: Engine): EventPayload<'metrics.sample'>[] {
  return samples.get(engine) ?? [];
}

/** `nova support …`: host readiness and bug-report bundles. */
export const supportModule: EngineModule = {
  name: 'support',
  install(engine) {
    const ring: EventPayload<'metrics.sample'>[] = [];
    samples.set(engine, ring);
    engine.bus.on('metrics.sample', (s) => {
      ring.push(s);
      if (ring.length > KEEP_SAMPLES) ring.splice(0, ring.length - KEEP_SAMPLES);
    });
    engine.dispatcher.handle('support.preflight', () => runPreflight(engine));
    engine.dispatcher.handle('support.bundle', (input) => buildBundle(engine, input, recentMetrics(engine)));
  },
};
