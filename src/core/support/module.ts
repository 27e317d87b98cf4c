import type { EngineModule } from '../engine.js';
import { buildBundle } from './bundle.js';
import { runPreflight } from './preflight.js';

/** `nova support …`: host readiness and bug-report bundles. */
export const supportModule: EngineModule = {
  name: 'support',
  install(engine) {
    engine.dispatcher.handle('support.preflight', () => runPreflight(engine));
    engine.dispatcher.handle('support.bundle', (input) => buildBundle(engine, input));
  },
};
