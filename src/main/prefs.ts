import type { PrefsBackend } from '../core/prefs/store.js';
import type { Prefs } from '../shared/contract/prefs.js';

/** The part of electron-store (conf) the app uses; a plain object in tests. */
export interface StoreLike {
  store: Record<string, unknown>;
  onDidAnyChange?(fn: (next?: Record<string, unknown>) => void): () => void;
}

/**
 * Preferences through electron-store, behind the spine's PrefsBackend. The store sits in the
 * same folder and file as the plain-Node backend (<config>/prefs.json) with the same top-level
 * keys, so the app, `nova serve` and the CLI read and write one set of preferences.
 */
export function electronStorePrefs(store: StoreLike): PrefsBackend {
  return {
    read: async () => ({ ...store.store }),
    write: async (values: Prefs) => {
      // Assigning `store` replaces the whole object in one atomic write (conf writes temp+rename).
      store.store = JSON.parse(JSON.stringify(values)) as Record<string, unknown>;
    },
  };
}

/** Opens electron-store at <configDir>/prefs.json (imported lazily: it loads electron). */
export async function openPrefsStore(configDir: string): Promise<StoreLike> {
  const { default: Store } = await import('electron-store');
  return new Store<Record<string, unknown>>({
    cwd: configDir,
    name: 'prefs',
    // A hand-edited file with a syntax error throws here; the caller falls back (never wipes it).
    clearInvalidConfig: false,
    // The CLI may change prefs while the app runs (`nova` and the app share the file).
    watch: true,
  });
}
