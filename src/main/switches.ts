/**
 * Chromium switches the app sets before `ready`. Wayland first: Ozone picks Wayland whenever a
 * compositor is there (X11/XWayland otherwise), and client-side decorations give the window a
 * title bar on compositors without server-side decorations (GNOME).
 */
/**
 * The one app id (reverse DNS), everywhere: electron-builder's appId, package.json's desktopName
 * (`org.nova.Nova.desktop`: Electron derives the Wayland app_id, the X11 WM_CLASS and the
 * notifications' desktop-entry hint from it), the desktop file's name and StartupWMClass, and the
 * AppStream metainfo id (resources/metainfo/org.nova.Nova.metainfo.xml).
 */
export const APP_ID = 'org.nova.Nova';
/** The desktop file the app id names. */
export const DESKTOP_FILE = `${APP_ID}.desktop`;
/** The name shown to people (notifications, the app menu). */
export const APP_NAME = 'Nova';
/** Nova's own folders stay `nova` (~/.config/nova): the app id names the app, not the data. */
export const APP_DIR = 'nova';

export const WAYLAND_FEATURES = ['WaylandWindowDecorations'] as const;

export interface SwitchTarget {
  appendSwitch(name: string, value?: string): void;
  getSwitchValue(name: string): string;
  hasSwitch(name: string): boolean;
}

/** The switches, as data (the launcher passes the same ones on the command line). */
export function appSwitches(env: NodeJS.ProcessEnv = process.env): [string, string?][] {
  const list: [string, string?][] = [
    // `auto`: Wayland when WAYLAND_DISPLAY works, X11 otherwise. NOVA_OZONE=x11 forces XWayland.
    ['ozone-platform-hint', env.NOVA_OZONE === 'x11' || env.NOVA_OZONE === 'wayland' ? env.NOVA_OZONE : 'auto'],
    ['enable-features', WAYLAND_FEATURES.join(',')],
    // X11 WM_CLASS (for Electron builds that still read --class) and the Wayland app id both say
    // org.nova.Nova, matching org.nova.Nova.desktop's StartupWMClass.
    ['class', APP_ID],
    // The app never needs these background services; fewer connections, faster start.
    ['disable-background-networking'],
    ['disable-component-update'],
  ];
  return list;
}

/** Applies appSwitches(), merging enable-features with any given on the command line. */
export function applySwitches(cmd: SwitchTarget, env: NodeJS.ProcessEnv = process.env): void {
  for (const [name, value] of appSwitches(env)) {
    if (name === 'enable-features' && cmd.hasSwitch(name)) {
      const merged = new Set([...cmd.getSwitchValue(name).split(','), ...(value ?? '').split(',')].filter(Boolean));
      cmd.appendSwitch(name, [...merged].join(','));
    } else if (name === 'ozone-platform-hint' && cmd.hasSwitch(name)) {
      // The user's own --ozone-platform-hint wins.
      continue;
    } else if (value === undefined) cmd.appendSwitch(name);
    else cmd.appendSwitch(name, value);
  }
}
