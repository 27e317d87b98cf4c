import { Menu, Tray, nativeImage } from 'electron';
import type { MenuActions, MenuState } from './menu.js';
import { trayMenuTemplate } from './menu.js';

/**
 * Desktops that show StatusNotifierItem tray icons (KDE, Sway/Hyprland bars with a tray, GNOME
 * only with the AppIndicator extension). Plain GNOME shows nothing, so we skip the icon there
 * instead of keeping a useless D-Bus object alive. NOVA_TRAY=1/0 forces it.
 */
export function traySupported(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): boolean {
  if (env.NOVA_TRAY === '0') return false;
  if (env.NOVA_TRAY === '1') return true;
  if (platform !== 'linux') return true;
  const desktops = (env.XDG_CURRENT_DESKTOP ?? '').toLowerCase().split(':');
  if (desktops.includes('gnome')) return false;
  return Boolean(env.DBUS_SESSION_BUS_ADDRESS) && desktops.some((d) => d.length > 0);
}

export interface AppTray {
  update(state: MenuState): void;
  destroy(): void;
}

export function createTray(iconPath: string, actions: MenuActions, state: MenuState): AppTray | undefined {
  let tray: Tray;
  try {
    tray = new Tray(nativeImage.createFromPath(iconPath));
  } catch (e) {
    process.emitWarning(`no tray icon: ${(e as Error).message}`);
    return undefined;
  }
  tray.setToolTip('Nova');
  tray.on('click', actions.showWindow);
  const update = (s: MenuState) => tray.setContextMenu(Menu.buildFromTemplate(trayMenuTemplate(actions, s)));
  update(state);
  return { update, destroy: () => tray.destroy() };
}
