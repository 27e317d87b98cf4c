import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { createBridge } from './bridge';
import { setBridge } from './lib/rpc';
import { wireEvents } from './lib/wire';
import { useConnection } from './stores/connection';
import './theme/themes.css';
import './styles.css';

setBridge(createBridge((s) => useConnection.getState().set(s)));
// Before the first render, not in an effect after it: the WebSocket opens and the first calls
// (host facts, the resource list…) are on their way while React renders the shell (#24: the
// first render of a cold page takes 100–300 ms; the calls used to wait for it).
wireEvents();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
