import type { EventPayload } from '../../shared/contract.js';
import type { EngineModule } from '../context.js';
import { buildBundle } from './bundle.js';
import { runPreflight } from './preflight.js';

const KEEP_SAMPLES = 2000;

/** `nova support …`: host readiness and bug-report bundles. */
export const supportModule: EngineModule = {
  name: 'support',
  install(engine) {
    // Recent metrics samples this engine saw (a long-running `nova serve` or the app), for bundles.
    const ring: EventPayload<'metrics.sample'>[] = [];
    // Passive: keeping what passes by does not ask samplers to run (EventBus.wanted).
    engine.bus.onPassive('metrics.sample', (s) => {
      ring.push(s);
      if (ring.length > KEEP_SAMPLES) ring.splice(0, ring.length - KEEP_SAMPLES);
    });
    engine.dispatcher.handle('support.preflight', () => runPreflight(engine));
    engine.dispatcher.handle('support.bundle', (input) => buildBundle(engine, input, ring));
  },
};
