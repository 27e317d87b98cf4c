import { useEffect } from 'react';
import { useNav, VIEWS } from '../stores/nav';

/** Alt+1…9 and Alt+0 (the tenth) open the views from anywhere (also inside inputs: Alt is not typing). */
export function useShortcuts(): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!e.altKey || e.ctrlKey || e.metaKey) return;
      const n = Number(e.key);
      const v = e.key === '0' ? VIEWS[9] : Number.isInteger(n) && n >= 1 ? VIEWS[n - 1] : undefined;
      if (!v) return;
      e.preventDefault();
      // The view's heading takes focus once rendered (views load lazily), so Tab starts there.
      useNav.getState().go(v.id, undefined, { focus: true });
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}
