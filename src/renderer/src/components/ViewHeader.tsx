import type { ReactNode } from 'react';

/** The view's title (focusable target for keyboard navigation) and its actions. */
export function ViewHeader({ title, subtitle, children }: { title: string; subtitle?: ReactNode; children?: ReactNode }) {
  return (
    <header className="view-header">
      <div>
        <h1 tabIndex={-1}>{title}</h1>
        {subtitle && <p className="subtitle">{subtitle}</p>}
      </div>
      {children && <div className="view-actions">{children}</div>}
    </header>
  );
}
