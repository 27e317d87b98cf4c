// The app's colour themes (the prefs contract's `theme`). Its own module, without zod, so the
// renderer's first view can read the list without loading the contract's schemas.
export const THEMES = ['tokyo-night-storm', 'tokyo-night', 'tokyo-night-moon', 'tokyo-night-day', 'material-ocean'] as const;
