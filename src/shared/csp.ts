// The renderer's one inline script: it applies the cached theme (localStorage, refreshed by the
// renderer on every load from the engine's prefs) before the first paint, without a request that
// would block the parser. Every Content-Security-Policy that serves index.html (its own meta tag,
// `nova serve`'s header, the Electron window's) allows exactly this script by its hash;
// src/renderer/src/build.test.ts checks the three and the built page agree.
export const THEME_BOOT_SCRIPT = "try{var t=localStorage.getItem('nova.theme');if(t&&/^[a-z-]+$/.test(t))document.documentElement.dataset.theme=t}catch(e){}";
export const THEME_BOOT_HASH = "'sha256-x1g7cCaBuc6hskcv+mnlL/jf2CsLKAE4DBWEi77OCCw='";
