import { THEMES } from '../../../shared/themes.js';

export type ThemeName = (typeof THEMES)[number];
export const DEFAULT_THEME: ThemeName = 'tokyo-night-storm';
export const THEME_CACHE_KEY = 'nova.theme';

/** Presets shown in Settings → Appearance; swatches preview bg / accent / fg. */
export const THEME_PRESETS: { name: ThemeName; label: string; note: string; swatch: [string, string, string] }[] = [
  { name: 'tokyo-night-storm', label: 'Tokyo Night Storm', note: 'default', swatch: ['#24283b', '#7aa2f7', '#c0caf5'] },
  { name: 'tokyo-night', label: 'Tokyo Night', note: 'darker', swatch: ['#1a1b26', '#7aa2f7', '#c0caf5'] },
  { name: 'tokyo-night-moon', label: 'Tokyo Night Moon', note: 'softer contrast', swatch: ['#222436', '#82aaff', '#c8d3f5'] },
  { name: 'tokyo-night-day', label: 'Tokyo Night Day', note: 'light', swatch: ['#e1e2e7', '#2e7de9', '#3760bf'] },
  { name: 'material-ocean', label: 'Material Ocean', note: 'opt-in', swatch: ['#0f111a', '#84ffff', '#8f93a2'] },
];

export const isTheme = (v: unknown): v is ThemeName => typeof v === 'string' && (THEMES as readonly string[]).includes(v);

/** Sets the theme on <html> and caches it so index.html's theme boot script (src/shared/csp.ts) applies it before the next first paint. */
export function applyTheme(theme: ThemeName): void {
  document.documentElement.dataset.theme = theme;
  try {
    localStorage.setItem(THEME_CACHE_KEY, theme);
  } catch {
    /* storage disabled: the theme still applies for this page */
  }
}
