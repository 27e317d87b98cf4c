import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { ErrorBoundary } from './components/ErrorBoundary';
import { createBridge } from './bridge';
import { setBridge } from './lib/rpc';
import { wireEvents } from './lib/wire';
import { useConnection } from './stores/connection';
import { useResources } from './stores/resources';
import type { Output } from '../../shared/contract.js';
import './theme/themes.css';
import './styles.css';

// The resource list the inline boot script asked for over HTTP while this script downloaded
// (src/shared/csp.ts): when it is in, the first render shows the dashboard's counts (#24); when it
// comes later it fills the store unless the WebSocket's own fetch answered first.
type List = Output<'resource.list'>;
const first = (window as { __novaFirst?: Promise<List | undefined> & { v?: List } }).__novaFirst;
if (first?.v) useResources.getState().seed(first.v.items);
else void first?.then((out) => out && useResources.getState().seed(out.items));

setBridge(createBridge((s) => useConnection.getState().set(s)));
// Before the first render, not in an effect after it: the WebSocket opens and the first calls
// (host facts, the resource list…) are on their way while React renders the shell (#24: the
// first render of a cold page takes 100–300 ms; the calls used to wait for it).
wireEvents();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ErrorBoundary what="Nova's window">
      <App />
    </ErrorBoundary>
  </StrictMode>,
);
