// Test double of the `electron` module (the binary cannot exist on CI machines). Used only by
// tests through `vi.mock('electron', () => fakeElectron())`; records what the app asked for.
import { EventEmitter } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

type Fn = (...args: never[]) => unknown;

export class FakeFrame {
  constructor(public url: string) {}
}

export class FakeWebContents extends EventEmitter {
  mainFrame: FakeFrame;
  sent: [string, ...unknown[]][] = [];
  windowOpenHandler?: (d: { url: string }) => { action: string };
  reloads = 0;
  constructor(url = 'about:blank') {
    super();
    this.mainFrame = new FakeFrame(url);
  }
  getURL() {
    return this.mainFrame.url;
  }
  send(channel: string, ...args: unknown[]) {
    this.sent.push([channel, ...args]);
  }
  setWindowOpenHandler(fn: (d: { url: string }) => { action: string }) {
    this.windowOpenHandler = fn;
  }
  reload() {
    this.reloads++;
  }
  toggleDevTools() {}
  /** Emits an Electron-style event and reports whether a listener called preventDefault(). */
  fire(name: string, ...args: unknown[]): boolean {
    let prevented = false;
    const event = { preventDefault: () => (prevented = true), isMainFrame: true, ...(typeof args[0] === 'object' && args[0] !== null && !Array.isArray(args[0]) ? (args.shift() as object) : {}) };
    this.emit(name, event, ...args);
    return prevented;
  }
}

export class FakeBrowserWindow extends EventEmitter {
  static instances: FakeBrowserWindow[] = [];
  webContents: FakeWebContents;
  loaded?: { kind: 'url' | 'file'; target: string };
  shown = false;
  maximized = false;
  destroyed = false;
  bounds: { x: number; y: number; width: number; height: number };
  constructor(public options: Record<string, unknown>) {
    super();
    this.webContents = new FakeWebContents();
    this.bounds = { x: (options.x as number) ?? 0, y: (options.y as number) ?? 0, width: options.width as number, height: options.height as number };
    FakeBrowserWindow.instances.push(this);
  }
  loadURL(url: string) {
    this.loaded = { kind: 'url', target: url };
    this.webContents.mainFrame.url = url;
    return Promise.resolve();
  }
  loadFile(file: string) {
    this.loaded = { kind: 'file', target: file };
    this.webContents.mainFrame.url = `file://${file}`;
    return Promise.resolve();
  }
  show() {
    this.shown = true;
    this.emit('show');
  }
  focus() {}
  restore() {}
  isMinimized() {
    return false;
  }
  maximize() {
    this.maximized = true;
  }
  isMaximized() {
    return this.maximized;
  }
  isDestroyed() {
    return this.destroyed;
  }
  getNormalBounds() {
    return { ...this.bounds };
  }
}

export function fakeElectron() {
  const switches = new Map<string, string>();
  const appEvents = new EventEmitter();
  let readyResolve!: () => void;
  const ready = new Promise<void>((r) => (readyResolve = r));
  const ipcHandlers = new Map<string, Fn>();
  const ipcListeners = new Map<string, Set<Fn>>();
  const sessionHandlers: Record<string, Fn> = {};
  const notifications: { title: string; body: string }[] = [];
  const app = Object.assign(appEvents, {
    isPackaged: false,
    name: 'Nova',
    paths: {} as Record<string, string>,
    singleInstance: true,
    quitCalled: false,
    commandLine: {
      switches,
      appendSwitch: (name: string, value?: string) => void switches.set(name, value ?? ''),
      hasSwitch: (name: string) => switches.has(name),
      getSwitchValue: (name: string) => switches.get(name) ?? '',
    },
    setName(n: string) {
      app.name = n;
    },
    desktopName: undefined as string | undefined,
    setDesktopName(n: string) {
      app.desktopName = n;
    },
    getName: () => app.name,
    getVersion: () => '0.1.0',
    getPath: (k: string) => app.paths[k] ?? join(tmpdir(), 'fake-electron', k),
    setPath: (k: string, v: string) => void (app.paths[k] = v),
    requestSingleInstanceLock: () => app.singleInstance,
    whenReady: () => ready,
    fireReady: () => readyResolve(),
    quit: () => void (app.quitCalled = true),
    exit: () => void (app.quitCalled = true),
  });
  return {
    app,
    BrowserWindow: FakeBrowserWindow,
    ipcMain: {
      handlers: ipcHandlers,
      handle: (ch: string, fn: Fn) => void ipcHandlers.set(ch, fn),
      removeHandler: (ch: string) => void ipcHandlers.delete(ch),
      on: (ch: string, fn: Fn) => {
        if (!ipcListeners.has(ch)) ipcListeners.set(ch, new Set());
        ipcListeners.get(ch)!.add(fn);
      },
      removeListener: (ch: string, fn: Fn) => void ipcListeners.get(ch)?.delete(fn),
      emitTo: (ch: string, event: unknown, ...args: unknown[]) => {
        for (const fn of ipcListeners.get(ch) ?? []) (fn as (...a: unknown[]) => unknown)(event, ...args);
      },
    },
    protocol: {
      privileged: [] as unknown[],
      handlers: new Map<string, (req: Request) => Promise<Response>>(),
      registerSchemesAsPrivileged(schemes: unknown[]) {
        this.privileged.push(...schemes);
      },
      handle(scheme: string, fn: (req: Request) => Promise<Response>) {
        this.handlers.set(scheme, fn);
      },
    },
    session: {
      handlers: sessionHandlers,
      defaultSession: {
        webRequest: { onHeadersReceived: (fn: Fn) => void (sessionHandlers.headers = fn) },
        setPermissionRequestHandler: (fn: Fn) => void (sessionHandlers.request = fn),
        setPermissionCheckHandler: (fn: Fn) => void (sessionHandlers.check = fn),
        setDevicePermissionHandler: (fn: Fn) => void (sessionHandlers.device = fn),
      },
    },
    screen: { getAllDisplays: () => [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }] },
    Menu: { buildFromTemplate: (t: unknown) => ({ template: t }), setApplicationMenu: () => undefined },
    Tray: class {
      setToolTip() {}
      on() {}
      setContextMenu() {}
      destroy() {}
    },
    nativeImage: { createFromPath: (p: string) => ({ path: p }) },
    Notification: Object.assign(
      class {
        constructor(private o: { title: string; body: string }) {}
        on() {}
        show() {
          notifications.push({ title: this.o.title, body: this.o.body });
        }
      },
      { isSupported: () => true, shown: notifications },
    ),
    dialog: { errors: [] as string[], showMessageBox: async () => ({ response: 1 }), showErrorBox(title: string, body: string) { this.errors.push(`${title}: ${body}`); } },
    shell: { openExternal: async () => undefined, openPath: async () => '' },
  };
}

export type FakeElectron = ReturnType<typeof fakeElectron>;

/**
 * A module object whose exports follow `holder.current`, so each test can start from a fresh
 * fake while vitest keeps one mocked `electron` module for the whole file.
 */
export function electronModule(holder: { current: FakeElectron }): FakeElectron & { default: FakeElectron } {
  const mod = {} as FakeElectron & { default: FakeElectron };
  for (const key of Object.keys(holder.current) as (keyof FakeElectron)[]) {
    Object.defineProperty(mod, key, { enumerable: true, get: () => holder.current[key] });
  }
  Object.defineProperty(mod, 'default', { enumerable: false, get: () => mod });
  return mod;
}
