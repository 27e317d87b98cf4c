// The renderer's one inline script: it applies the cached theme (localStorage, refreshed by the
// renderer on every load from the engine's prefs) before the first paint, without a request that
// would block the parser; and in a browser on `nova serve` signed in by the token (#token=… or
// this tab's sessionStorage) it asks for the resource list over HTTP (POST /rpc) at once, while the
// app's script still downloads (#24): the dashboard's first render has the counts instead of
// waiting for the WebSocket's handshake and a second render (main.tsx takes the reply,
// `__novaFirst`). The WebSocket still fetches the list as before and replaces it. Every
// Content-Security-Policy that serves index.html (its own meta tag, `nova serve`'s header, the
// Electron window's) allows exactly this script by its hash;
// src/renderer/src/build.test.ts checks the three and the built page agree.
export const THEME_BOOT_SCRIPT =
  "try{var t=localStorage.getItem('nova.theme');if(t&&/^[a-z-]+$/.test(t))document.documentElement.dataset.theme=t}catch(e){}(function(){try{var k=new URLSearchParams(location.hash.slice(1)).get('token')||sessionStorage.getItem('nova.token');if(!k||!/^https?:$/.test(location.protocol))return;var p=window.__novaFirst=fetch('/rpc',{method:'POST',headers:{authorization:'Bearer '+k,'content-type':'application/json'},body:'{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"resource.list\",\"params\":{}}'}).then(function(r){return r.ok?r.json():0}).then(function(j){return p.v=j&&j.result},function(){})}catch(e){}})()";
export const THEME_BOOT_HASH = "'sha256-belc9sKSD/OCKB148nAtrIjB0ckmWyKL6rCpRxEE/ls='";
