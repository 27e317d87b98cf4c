// Applies the cached theme before first paint (CSP forbids inline scripts, so this is a file).
// The engine's prefs stay the source of truth; the renderer refreshes this cache on every load.
(function () {
  try {
    var t = localStorage.getItem('nova.theme');
    if (t && /^[a-z-]+$/.test(t)) document.documentElement.dataset.theme = t;
  } catch (e) {
    /* storage disabled: the default theme from CSS applies */
  }
})();
