import { ViewHeader } from '../components/ViewHeader';
import { ErrorNotice } from '../components/ErrorNotice';
import { usePrefs } from '../stores/prefs';
import { DEFAULT_THEME, THEME_PRESETS } from '../theme/themes';

/** Appearance and general preferences; all persisted through prefs.set. */
export function SettingsView() {
  const { prefs, error, set, load } = usePrefs();
  const theme = prefs?.theme ?? DEFAULT_THEME;
  return (
    <>
      <ViewHeader title="Settings" />
      {error && <ErrorNotice message={`Preferences could not be read: ${error}`} onRetry={() => void load()} />}
      <section className="card" aria-labelledby="appearance">
        <h2 id="appearance">Appearance</h2>
        <div className="theme-grid" role="radiogroup" aria-label="Theme">
          {THEME_PRESETS.map((t) => (
            <button key={t.name} type="button" role="radio" aria-checked={theme === t.name} className={`theme-option ${theme === t.name ? 'active' : ''}`} onClick={() => void set('theme', t.name)} data-testid={`theme-${t.name}`}>
              <span className="swatch" aria-hidden>
                {t.swatch.map((c) => (
                  <span key={c} style={{ background: c }} />
                ))}
              </span>
              <strong>{t.label}</strong>
              <span className="muted">{t.note}</span>
            </button>
          ))}
        </div>
      </section>
      <section className="card" aria-labelledby="general">
        <h2 id="general">Notifications</h2>
        <label className="check">
          <input type="checkbox" checked={prefs?.notifications ?? true} onChange={(e) => void set('notifications', e.target.checked)} /> Show engine notifications (per-interface mutes are under Captures & Monitoring)
        </label>
      </section>
      <section className="card" aria-labelledby="keys">
        <h2 id="keys">Keyboard</h2>
        <ul className="plain">
          <li><kbd>Alt</kbd>+<kbd>1</kbd>…<kbd>8</kbd> open the views in the sidebar order</li>
          <li><kbd>↑</kbd>/<kbd>↓</kbd>, <kbd>Home</kbd>/<kbd>End</kbd> move in the sidebar; <kbd>Enter</kbd> opens</li>
          <li><kbd>Esc</kbd> closes dialogs; <kbd>Tab</kbd> moves through a view</li>
        </ul>
      </section>
    </>
  );
}
