import type { PermissionCheckHandlerHandlerDetails, Session, WebContents } from 'electron';
import { THEME_BOOT_HASH } from '../shared/csp.js';

/**
 * The renderer's Content-Security-Policy. Production (nova://app) allows only our own files; the
 * in-app VNC console may open WebSockets to loopback (the main process's console relay, see console.ts).
 * The one inline script allowed is index.html's theme boot, by its hash.
 * The dev server needs inline scripts (React refresh preamble) and its HMR socket.
 */
export function contentSecurityPolicy(devUrl?: string): string {
  const loopbackWs = 'ws://127.0.0.1:* ws://localhost:*';
  const dev = devUrl ? new URL(devUrl).origin : undefined;
  const directives: [string, string][] = [
    ['default-src', "'none'"],
    // The theme boot script inline in index.html, by its hash (src/shared/csp.ts).
    ['script-src', dev ? `'self' 'unsafe-inline' ${dev}` : `'self' ${THEME_BOOT_HASH}`],
    ['style-src', "'self' 'unsafe-inline'"],
    ['img-src', "'self' data: blob:"],
    ['font-src', "'self' data:"],
    ['connect-src', dev ? `'self' ${dev} ${loopbackWs}` : `'self' ${loopbackWs}`],
    ['worker-src', "'self' blob:"],
    ['manifest-src', "'self'"],
    ['media-src', "'none'"],
    ['frame-src', "'none'"],
    ['child-src', "'none'"],
    ['object-src', "'none'"],
    ['base-uri', "'none'"],
    ['form-action', "'none'"],
    ['frame-ancestors', "'none'"],
  ];
  return directives.map(([k, v]) => `${k} ${v}`).join('; ');
}

/** True for the pages that are ours: nova://app (or a file:// page), or the dev server's origin. */
export function isAppUrl(url: string, appUrl: string): boolean {
  let u: URL;
  let app: URL;
  try {
    u = new URL(url);
    app = new URL(appUrl);
  } catch {
    return false;
  }
  if (app.protocol === 'file:') return u.protocol === 'file:' && u.pathname === app.pathname;
  // Compare scheme and host, not URL.origin: Node reports "null" for every custom scheme
  // (nova://app), which would make any custom-scheme page look like ours.
  return u.protocol === app.protocol && u.host === app.host && u.host !== '';
}

/** Links we are willing to hand to the user's browser: https only, no embedded credentials. */
export function externalLinkAllowed(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' && !u.username && !u.password && u.hostname.length > 0;
  } catch {
    return false;
  }
}

/**
 * The only permissions the app page may use: copying to the clipboard (copy buttons for IPs,
 * MACs, tokens) and fullscreen (the VM console). Everything else — camera, microphone,
 * geolocation, notifications from the page, HID/USB/serial, MIDI — is denied.
 */
export const ALLOWED_PERMISSIONS: ReadonlySet<string> = new Set(['clipboard-sanitized-write', 'fullscreen']);

export interface SessionSecurityOptions {
  /** The renderer's URL (nova://app/index.html or the dev server). */
  appUrl: string;
  devUrl?: string;
}

/** CSP as a response header, and permission requests/checks denied, for one session. */
export function secureSession(ses: Session, opts: SessionSecurityOptions): void {
  const csp = contentSecurityPolicy(opts.devUrl);
  const ours = (url: string | undefined) => Boolean(url && isAppUrl(url, opts.appUrl));
  const devOrigin = opts.devUrl ? new URL(opts.devUrl).origin : undefined;

  ses.webRequest.onHeadersReceived((details, callback) => {
    const url = details.url;
    const headers = { ...(details.responseHeaders ?? {}) };
    if (url.startsWith('file://') || (devOrigin && url.startsWith(devOrigin))) {
      for (const k of Object.keys(headers)) if (k.toLowerCase() === 'content-security-policy') delete headers[k];
      headers['Content-Security-Policy'] = [csp];
      headers['X-Content-Type-Options'] = ['nosniff'];
    }
    callback({ responseHeaders: headers });
  });

  ses.setPermissionRequestHandler((contents, permission, callback, details) => {
    const origin = (details as { requestingUrl?: string }).requestingUrl ?? contents?.getURL();
    callback(ALLOWED_PERMISSIONS.has(permission) && ours(origin) && details.isMainFrame !== false);
  });
  ses.setPermissionCheckHandler((_contents, permission, requestingOrigin, details: PermissionCheckHandlerHandlerDetails) => {
    const url = details.requestingUrl ?? requestingOrigin;
    return ALLOWED_PERMISSIONS.has(permission) && ours(url) && details.isMainFrame !== false;
  });
  ses.setDevicePermissionHandler(() => false);
}

export interface ContentsSecurityOptions {
  appUrl: string;
  /** Asks the user before a link leaves the app; resolves true to open it. */
  confirmExternal(url: string): Promise<boolean>;
  openExternal(url: string): Promise<void>;
}

/**
 * Locks one webContents: no navigation away from the app, no redirects, no new windows, no
 * <webview>. An https link the page tries to open goes to the user's browser after a confirm.
 */
export function secureContents(contents: WebContents, opts: ContentsSecurityOptions): void {
  const offerExternal = (url: string) => {
    if (!externalLinkAllowed(url)) return;
    void opts.confirmExternal(url).then((yes) => (yes ? opts.openExternal(url) : undefined)).catch(() => undefined);
  };

  contents.on('will-navigate', (event, legacyUrl) => {
    const url = event.url ?? legacyUrl;
    // A reload of our own page is fine; anything else is an attempt to leave the app.
    if (isAppUrl(url, opts.appUrl) && url.split('#')[0] === contents.getURL().split('#')[0]) return;
    event.preventDefault();
    offerExternal(url);
  });
  contents.on('will-frame-navigate', (event) => {
    if (!event.isMainFrame) event.preventDefault();
  });
  contents.on('will-redirect', (event, legacyUrl) => {
    if (!isAppUrl(event.url ?? legacyUrl, opts.appUrl)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    offerExternal(url);
    return { action: 'deny' };
  });
}
