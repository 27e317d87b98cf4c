// `npm start` decides how to give the user a UI. Pure: facts in, plan out (tested on every path).
import { appSwitches } from '../main/switches.js';

export interface LaunchFacts {
  /** The Electron executable if it exists on disk (npm's electron package or ELECTRON_OVERRIDE_DIST_PATH). */
  electronBinary?: string;
  /** electron's own installer: not tried yet, worked, or failed (no network, as on CI machines). */
  installer: 'untried' | 'ok' | 'failed';
  /** An earlier `npm start` saw the installer fail: not tried again until --retry-electron. */
  failedBefore?: { at: string; reason: string };
  /** The user asked for the browser UI (`npm start -- --browser`) or forbade downloads. */
  preferBrowser?: boolean;
  /** WAYLAND_DISPLAY names a socket that exists. */
  wayland: boolean;
  /** DISPLAY is set (X11 or XWayland). */
  x11: boolean;
  /** A Chromium-family browser found on PATH. */
  browser?: string;
}

export type LaunchPlan =
  | { kind: 'electron'; binary: string; say: string }
  | { kind: 'install-electron'; say: string }
  | { kind: 'browser'; browser: string; platform: 'wayland' | 'x11'; say: string }
  | { kind: 'print-url'; say: string };

export function planLaunch(f: LaunchFacts): LaunchPlan {
  if (!f.preferBrowser && f.electronBinary) {
    return { kind: 'electron', binary: f.electronBinary, say: `Starting the Nova desktop app (Electron at ${f.electronBinary}).` };
  }
  if (!f.preferBrowser && f.installer === 'untried') {
    return { kind: 'install-electron', say: 'The Electron binary is missing; trying its installer (downloads it once)…' };
  }
  const why = f.preferBrowser
    ? 'Browser mode was asked for'
    : f.failedBefore
      ? `Electron's download failed on ${f.failedBefore.at.slice(0, 16).replace('T', ' ')} UTC (${f.failedBefore.reason}), so it is not tried again (\`npm start -- --retry-electron\` retries)`
      : 'Electron is not available (its binary could not be downloaded here)';
  if (f.browser && f.wayland) {
    return { kind: 'browser', browser: f.browser, platform: 'wayland', say: `${why}: serving the UI with \`nova serve\` and opening it in ${f.browser} as a Wayland app window.` };
  }
  if (f.browser && f.x11) {
    return { kind: 'browser', browser: f.browser, platform: 'x11', say: `${why}: serving the UI with \`nova serve\` and opening it in ${f.browser} on X11 (no Wayland display found).` };
  }
  const missing = f.browser ? 'no Wayland or X11 display' : 'no Chromium-family browser on PATH (install chromium)';
  return { kind: 'print-url', say: `${why}, and ${missing}: serving the UI with \`nova serve\`; open the URL below in a browser.` };
}

/** Electron's argv: the app folder plus the same Wayland switches the main process sets. */
export function electronArgs(appDir: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): string[] {
  const switches = appSwitches(env).map(([k, v]) => (v === undefined ? `--${k}` : `--${k}=${v}`));
  return [appDir, ...switches, ...extra];
}

/**
 * A Chromium app window (no tabs, no address bar) on its own throwaway profile, with the
 * background services that would call home switched off.
 */
export function browserArgs(platform: 'wayland' | 'x11', url: string, profileDir: string, opts: { root?: boolean } = {}): string[] {
  return [
    `--app=${url}`,
    `--user-data-dir=${profileDir}`,
    '--ozone-platform-hint=auto',
    `--ozone-platform=${platform}`,
    ...(platform === 'wayland' ? ['--enable-features=WaylandWindowDecorations'] : []),
    '--class=org.nova.Nova', // the desktop file's StartupWMClass
    '--window-size=1280,800',
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-quic',
    '--disable-default-apps',
    '--disable-extensions',
    // Chromium refuses to start as root without this; only then, and the launcher says so.
    ...(opts.root ? ['--no-sandbox'] : []),
  ];
}

/** Browsers that support --app windows and Ozone Wayland, most specific first. */
export const BROWSERS = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome', 'brave-browser', 'brave', 'microsoft-edge-stable', 'vivaldi-stable', 'vivaldi'];
