import { describe, expect, it } from 'vitest';
import { browserArgs, electronArgs, planLaunch } from './plan.js';
import type { LaunchFacts } from './plan.js';

const base: LaunchFacts = { installer: 'untried', wayland: true, x11: true, browser: '/usr/bin/chromium' };

describe('npm start: which UI to open', () => {
  it('runs Electron when its binary is present', () => {
    expect(planLaunch({ ...base, electronBinary: '/x/electron' })).toMatchObject({ kind: 'electron', binary: '/x/electron' });
  });
  it('tries the installer once when the binary is missing', () => {
    expect(planLaunch(base).kind).toBe('install-electron');
  });
  it('uses Electron if the installer fetched it', () => {
    expect(planLaunch({ ...base, installer: 'ok', electronBinary: '/x/electron' }).kind).toBe('electron');
  });
  it('falls back to nova serve + a Chromium app window on Wayland when the installer fails', () => {
    const p = planLaunch({ ...base, installer: 'failed' });
    expect(p).toMatchObject({ kind: 'browser', platform: 'wayland', browser: '/usr/bin/chromium' });
    expect(p.say).toMatch(/Electron is not available.*nova serve.*Wayland/);
  });
  it('uses X11 only when there is no Wayland display', () => {
    expect(planLaunch({ ...base, installer: 'failed', wayland: false })).toMatchObject({ kind: 'browser', platform: 'x11' });
  });
  it('prints the URL without a display or without a browser, saying which is missing', () => {
    expect(planLaunch({ ...base, installer: 'failed', wayland: false, x11: false })).toMatchObject({ kind: 'print-url', say: expect.stringContaining('no Wayland or X11 display') });
    expect(planLaunch({ ...base, installer: 'failed', browser: undefined })).toMatchObject({ kind: 'print-url', say: expect.stringContaining('install chromium') });
  });
  it('after a remembered installer failure: straight to the browser, saying when it failed and how to retry', () => {
    const p = planLaunch({ ...base, installer: 'failed', failedBefore: { at: '2026-12-02T11:20:33.000Z', reason: 'Error: connect ECONNREFUSED' } });
    expect(p).toMatchObject({ kind: 'browser', platform: 'wayland' });
    expect(p.say).toContain("Electron's download failed on 2026-12-02 11:20 UTC (Error: connect ECONNREFUSED), so it is not tried again");
    expect(p.say).toContain('npm start -- --retry-electron');
  });
  it('--browser skips Electron even when it is installed', () => {
    expect(planLaunch({ ...base, electronBinary: '/x/electron', preferBrowser: true })).toMatchObject({ kind: 'browser', say: expect.stringContaining('Browser mode was asked for') });
  });
});

describe('argv', () => {
  it('passes the Wayland switches to Electron', () => {
    expect(electronArgs('/app', ['--trace-warnings'])).toEqual(['/app', '--ozone-platform-hint=auto', '--enable-features=WaylandWindowDecorations', '--class=org.nova.Nova', '--disable-background-networking', '--disable-component-update', '--trace-warnings']);
  });
  it('opens an app window on Wayland with the no-network switches and its own profile', () => {
    const a = browserArgs('wayland', 'http://127.0.0.1:5000/#token=t', '/tmp/p');
    expect(a).toEqual(expect.arrayContaining(['--app=http://127.0.0.1:5000/#token=t', '--user-data-dir=/tmp/p', '--ozone-platform-hint=auto', '--ozone-platform=wayland', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run']));
    expect(a).not.toContain('--no-sandbox');
    expect(browserArgs('x11', 'u', '/p', { root: true })).toEqual(expect.arrayContaining(['--ozone-platform=x11', '--no-sandbox']));
  });
});
