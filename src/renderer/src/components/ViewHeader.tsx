import { useEffect, useRef } from 'react';
import type { ReactNode } from 'react';
import { useNav } from '../stores/nav';

/** The view's title (focus target after keyboard navigation) and its actions. */
export function ViewHeader({ title, subtitle, children }: { title: string; subtitle?: ReactNode; children?: ReactNode }) {
  const h1 = useRef<HTMLHeadingElement>(null);
  const wantFocus = useNav((s) => s.wantFocus);
  useEffect(() => {
    if (!wantFocus) return;
    h1.current?.focus();
    useNav.getState().focusTaken();
  }, [wantFocus]);
  return (
    <header className="view-header" data-testid="view-header">
      <div>
        <h1 tabIndex={-1} ref={h1}>
          {title}
        </h1>
        {subtitle && <div className="subtitle">{subtitle}</div>}
      </div>
      {children && <div className="view-actions">{children}</div>}
    </header>
  );
}
