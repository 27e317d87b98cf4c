import { NovaError } from '../../shared/errors.js';
import { prefsSchema } from '../../shared/contract/prefs.js';
import type { PrefKey, Prefs } from '../../shared/contract/prefs.js';
import { readJson, writeJsonAtomic } from '../sys/atomic.js';

/** Where preferences live: a JSON file under plain Node, electron-store inside the app. */
export interface PrefsBackend {
  read(): Promise<unknown>;
  write(values: Prefs): Promise<void>;
}

export const jsonFilePrefs = (file: string): PrefsBackend => ({
  read: () => readJson<unknown>(file, {}),
  write: (values) => writeJsonAtomic(file, values),
});

export class PrefsStore {
  constructor(private backend: PrefsBackend) {}

  /** Current preferences with defaults; unknown or invalid stored keys fall back to defaults. */
  async get(): Promise<Prefs> {
    const stored = (await this.backend.read()) as Record<string, unknown> | null;
    const parsed = prefsSchema.safeParse(stored ?? {});
    if (parsed.success) return parsed.data;
    // Keep every stored key that is still valid; a bad one must not reset the rest.
    const clean: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(stored ?? {})) {
      const field = (prefsSchema.shape as Record<string, { safeParse(v: unknown): { success: boolean } } | undefined>)[k];
      if (field?.safeParse(v).success) clean[k] = v;
    }
    return prefsSchema.parse(clean);
  }

  async set(key: PrefKey, value: unknown): Promise<Prefs> {
    const field = prefsSchema.shape[key];
    const checked = field.safeParse(value);
    if (!checked.success) {
      throw new NovaError('INVALID_INPUT', `preference ${key}: ${checked.error.issues[0]?.message ?? 'invalid value'}`, { key });
    }
    const next = { ...(await this.get()), [key]: checked.data } as Prefs;
    await this.backend.write(next);
    return next;
  }
}
