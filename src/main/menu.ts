import type { MenuItemConstructorOptions } from 'electron';

export interface MenuActions {
  showWindow(): void;
  quit(): void;
  reload(): void;
  toggleDevTools(): void;
  openDataFolder(): void;
  about(): void;
  setNotificationsMuted(muted: boolean): void;
}

export interface MenuState {
  dev: boolean;
  notificationsMuted: boolean;
}

/** The application menu (Alt shows it on Linux). DevTools and reload only in development. */
export function appMenuTemplate(a: MenuActions, s: MenuState): MenuItemConstructorOptions[] {
  const view: MenuItemConstructorOptions[] = [
    { role: 'resetZoom' },
    { role: 'zoomIn' },
    { role: 'zoomOut' },
    { type: 'separator' },
    { role: 'togglefullscreen' },
  ];
  if (s.dev) {
    view.push({ type: 'separator' }, { label: 'Reload', accelerator: 'CmdOrCtrl+R', click: a.reload }, { label: 'Toggle Developer Tools', accelerator: 'CmdOrCtrl+Shift+I', click: a.toggleDevTools });
  }
  return [
    {
      label: '&Nova',
      submenu: [
        { label: 'Mute Notifications', type: 'checkbox', checked: s.notificationsMuted, click: (item) => a.setNotificationsMuted(item.checked) },
        { type: 'separator' },
        // Quitting closes the app only: VMs, capsules and networks keep running.
        { label: 'Quit', accelerator: 'CmdOrCtrl+Q', click: a.quit },
      ],
    },
    { label: '&Edit', submenu: [{ role: 'undo' }, { role: 'redo' }, { type: 'separator' }, { role: 'cut' }, { role: 'copy' }, { role: 'paste' }, { role: 'selectAll' }] },
    { label: '&View', submenu: view },
    { label: '&Help', submenu: [{ label: 'Open Data Folder', click: a.openDataFolder }, { label: 'About Nova', click: a.about }] },
  ];
}

/** The tray icon's menu: the things worth doing without opening the window. */
export function trayMenuTemplate(a: MenuActions, s: MenuState): MenuItemConstructorOptions[] {
  return [
    { label: 'Show Nova', click: a.showWindow },
    { label: 'Mute Notifications', type: 'checkbox', checked: s.notificationsMuted, click: (item) => a.setNotificationsMuted(item.checked) },
    { type: 'separator' },
    { label: 'Quit Nova', click: a.quit },
  ];
}
