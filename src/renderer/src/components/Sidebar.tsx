import { useRef } from 'react';
import type { KeyboardEvent } from 'react';
import { useNav, VIEWS } from '../stores/nav';
import { HOST_VIEWS, LOCAL, useHosts } from '../stores/hosts';
import { HostSwitcher } from './HostSwitcher';

/**
 * Main navigation. Arrow keys move between entries (roving focus), Enter/Space opens,
 * Home/End jump; Alt+1…9, 0 work from anywhere (see useShortcuts).
 */
export function Sidebar() {
  const { view, go } = useNav();
  const refs = useRef<(HTMLButtonElement | null)[]>([]);
  const focusAt = (i: number) => refs.current[(i + VIEWS.length) % VIEWS.length]?.focus();
  const onKey = (e: KeyboardEvent, i: number) => {
    const moves: Record<string, number> = { ArrowDown: i + 1, ArrowUp: i - 1, Home: 0, End: VIEWS.length - 1 };
    const to = moves[e.key];
    if (to !== undefined) {
      e.preventDefault();
      focusAt(to);
    }
  };
  return (
    <nav className="sidebar" aria-label="Main">
      <div className="brand">
        <span className="brand-mark">◆</span> Nova
      </div>
      <HostSwitcher />
      <ul role="list">
        {VIEWS.map((v, i) => (
          <li key={v.id}>
            <button
              type="button"
              ref={(el) => {
                refs.current[i] = el;
              }}
              className={`nav-item ${view === v.id ? 'active' : ''}`}
              aria-current={view === v.id ? 'page' : undefined}
              tabIndex={view === v.id ? 0 : -1}
              onClick={() => {
                // A remote host stays chosen for the views that follow the switcher.
                const { scope, setScope } = useHosts.getState();
                if (scope === 'all' || !HOST_VIEWS[v.id]) setScope(LOCAL);
                go(v.id);
              }}
              onKeyDown={(e) => onKey(e, i)}
              data-testid={`nav-${v.id}`}
            >
              <span className="nav-icon" aria-hidden>
                {v.icon}
              </span>
              <span className="nav-label">{v.label}</span>
              <kbd aria-hidden>Alt+{(i + 1) % 10}</kbd>
            </button>
          </li>
        ))}
      </ul>
    </nav>
  );
}
