import { describe, expect, it, vi } from 'vitest';
import { FakeWebContents, fakeElectron } from './testing/fake-electron.js';
import { THEME_BOOT_HASH } from '../shared/csp.js';
import { contentSecurityPolicy, externalLinkAllowed, isAppUrl, secureContents, secureSession } from './security.js';

const APP = 'nova://app/index.html';

const directive = (csp: string, name: string) => csp.split('; ').find((d) => d.startsWith(`${name} `))?.slice(name.length + 1);

describe('content security policy', () => {
  it('allows only our own scripts in the packaged app: no inline but the theme boot script by its hash, no eval, no remote', () => {
    const csp = contentSecurityPolicy();
    expect(directive(csp, 'default-src')).toBe("'none'");
    expect(directive(csp, 'script-src')).toBe(`'self' ${THEME_BOOT_HASH}`);
    expect(csp).not.toContain('unsafe-eval');
    expect(directive(csp, 'object-src')).toBe("'none'");
    expect(directive(csp, 'frame-src')).toBe("'none'");
    expect(directive(csp, 'base-uri')).toBe("'none'");
    expect(directive(csp, 'form-action')).toBe("'none'");
    expect(directive(csp, 'frame-ancestors')).toBe("'none'");
    // WebSockets only to loopback (the VM console), never to the internet.
    expect(directive(csp, 'connect-src')).toBe("'self' ws://127.0.0.1:* ws://localhost:*");
    expect(csp).not.toMatch(/https?:\/\/(?!127|localhost)/);
  });

  it('relaxes script-src only for the dev server origin in development', () => {
    const csp = contentSecurityPolicy('http://localhost:5173/');
    expect(directive(csp, 'script-src')).toBe("'self' 'unsafe-inline' http://localhost:5173");
    expect(directive(contentSecurityPolicy(), 'script-src')).not.toContain('unsafe-inline');
  });
});

describe('session: CSP header and permissions', () => {
  const setup = (devUrl?: string) => {
    const e = fakeElectron();
    secureSession(e.session.defaultSession as never, { appUrl: devUrl ?? APP, devUrl });
    return e.session.handlers;
  };
  const headersFor = (h: ReturnType<typeof setup>, url: string, responseHeaders: Record<string, string[]> = {}) => {
    let out: Record<string, string[]> | undefined;
    (h.headers as (d: unknown, cb: (r: { responseHeaders: Record<string, string[]> }) => void) => void)({ url, responseHeaders }, (r) => (out = r.responseHeaders));
    return out!;
  };

  it('sends the CSP as a header for file:// pages and replaces a weaker one', () => {
    const h = setup();
    const headers = headersFor(h, 'file:///opt/Nova/index.html', { 'content-security-policy': ["default-src *; script-src * 'unsafe-eval'"] });
    expect(headers['Content-Security-Policy']).toEqual([contentSecurityPolicy()]);
    expect(headers['content-security-policy']).toBeUndefined();
    expect(headers['X-Content-Type-Options']).toEqual(['nosniff']);
  });

  it('sends the dev CSP for the dev server, and leaves other origins alone', () => {
    const h = setup('http://localhost:5173/');
    expect(headersFor(h, 'http://localhost:5173/src/main.tsx')['Content-Security-Policy']).toEqual([contentSecurityPolicy('http://localhost:5173/')]);
    expect(headersFor(h, 'https://example.org/')['Content-Security-Policy']).toBeUndefined();
  });

  it('denies camera, microphone, geolocation, notifications and device access', () => {
    const h = setup();
    for (const permission of ['media', 'geolocation', 'notifications', 'midi', 'openExternal', 'hid', 'serial', 'usb', 'display-capture', 'pointerLock']) {
      const cb = vi.fn();
      (h.request as (...a: unknown[]) => void)({ getURL: () => APP }, permission, cb, { requestingUrl: APP, isMainFrame: true });
      expect(cb, permission).toHaveBeenCalledWith(false);
      expect((h.check as (...a: unknown[]) => boolean)(null, permission, 'file://', { requestingUrl: APP, isMainFrame: true }), permission).toBe(false);
    }
    expect((h.device as () => boolean)()).toBe(false);
  });

  it('allows clipboard writes and fullscreen only to our own main frame', () => {
    const h = setup();
    const ask = (permission: string, requestingUrl: string, isMainFrame = true) => {
      const cb = vi.fn();
      (h.request as (...a: unknown[]) => void)({ getURL: () => requestingUrl }, permission, cb, { requestingUrl, isMainFrame });
      return cb.mock.calls[0]![0] as boolean;
    };
    expect(ask('clipboard-sanitized-write', APP)).toBe(true);
    expect(ask('fullscreen', APP)).toBe(true);
    expect(ask('clipboard-sanitized-write', 'https://evil.example/')).toBe(false);
    expect(ask('clipboard-sanitized-write', 'file:///tmp/other.html')).toBe(false);
    expect(ask('clipboard-sanitized-write', 'evil://app/index.html')).toBe(false);
    expect(ask('fullscreen', APP, false)).toBe(false);
  });
});

describe('navigation, redirects, new windows, webviews', () => {
  const setup = () => {
    const contents = new FakeWebContents(APP);
    const confirmExternal = vi.fn(async () => true);
    const openExternal = vi.fn(async () => undefined);
    secureContents(contents as never, { appUrl: APP, confirmExternal, openExternal });
    return { contents, confirmExternal, openExternal };
  };
  const settle = () => new Promise((r) => setTimeout(r, 0));

  it('blocks navigation away from the app; an https link opens outside only after a confirm', async () => {
    const { contents, confirmExternal, openExternal } = setup();
    expect(contents.fire('will-navigate', 'https://docs.example.org/page')).toBe(true);
    await settle();
    expect(confirmExternal).toHaveBeenCalledWith('https://docs.example.org/page');
    expect(openExternal).toHaveBeenCalledWith('https://docs.example.org/page');
  });

  it('does not open the link when the user cancels', async () => {
    const { contents, confirmExternal, openExternal } = setup();
    confirmExternal.mockResolvedValueOnce(false);
    contents.fire('will-navigate', 'https://docs.example.org/');
    await settle();
    expect(confirmExternal).toHaveBeenCalled();
    expect(openExternal).not.toHaveBeenCalled();
  });

  it('never offers http, file, javascript or credential-carrying links', async () => {
    const { contents, confirmExternal, openExternal } = setup();
    for (const url of ['http://example.org/', 'file:///etc/passwd', 'javascript:alert(1)', 'https://user:pw@example.org/', 'smb://host/share']) {
      expect(contents.fire('will-navigate', url), url).toBe(true);
      expect(contents.windowOpenHandler!({ url })).toEqual({ action: 'deny' });
    }
    await settle();
    expect(confirmExternal).not.toHaveBeenCalled();
    expect(openExternal).not.toHaveBeenCalled();
  });

  it('denies every new window, offering https targets outside', async () => {
    const { contents, confirmExternal } = setup();
    expect(contents.windowOpenHandler!({ url: 'https://example.org/' })).toEqual({ action: 'deny' });
    expect(contents.windowOpenHandler!({ url: APP })).toEqual({ action: 'deny' });
    await settle();
    expect(confirmExternal).toHaveBeenCalledTimes(1);
  });

  it('lets the app reload itself but blocks redirects, subframe navigation and <webview>', () => {
    const { contents } = setup();
    expect(contents.fire('will-navigate', `${APP}#/vms`)).toBe(false);
    expect(contents.fire('will-redirect', 'https://evil.example/')).toBe(true);
    expect(contents.fire('will-frame-navigate', { isMainFrame: false, url: 'https://evil.example/' })).toBe(true);
    expect(contents.fire('will-attach-webview', {}, {})).toBe(true);
  });
});

describe('url checks', () => {
  it('matches only our own page', () => {
    expect(isAppUrl(`${APP}#/networks`, APP)).toBe(true);
    expect(isAppUrl('nova://app/assets/x.js', APP)).toBe(true);
    expect(isAppUrl('file:///tmp/index.html', APP)).toBe(false);
    // Node reports origin "null" for every custom scheme: scheme and host must both match.
    expect(isAppUrl('evil://app/index.html', APP)).toBe(false);
    expect(isAppUrl('nova://evil/index.html', APP)).toBe(false);
    expect(isAppUrl('file:///opt/x/index.html', 'file:///opt/x/index.html')).toBe(true);
    expect(isAppUrl('http://localhost:5173/x', 'http://localhost:5173/')).toBe(true);
    expect(isAppUrl('http://localhost:5174/', 'http://localhost:5173/')).toBe(false);
    expect(isAppUrl('not a url', APP)).toBe(false);
  });
  it('hands only https links to the browser', () => {
    expect(externalLinkAllowed('https://example.org/x')).toBe(true);
    expect(externalLinkAllowed('http://example.org/x')).toBe(false);
    expect(externalLinkAllowed('https://a:b@example.org/')).toBe(false);
  });
});
