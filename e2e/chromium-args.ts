// Debian's Chromium as a Wayland client (RECIPES.md): do not add --enable-features=UseOzonePlatform.
export const CHROMIUM_ARGS = [
  '--ozone-platform=wayland',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];
