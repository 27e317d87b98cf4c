import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { createBridge } from './bridge';
import { setBridge } from './lib/rpc';
import { useConnection } from './stores/connection';
import './theme/themes.css';
import './styles.css';

setBridge(createBridge((s) => useConnection.getState().set(s)));

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
