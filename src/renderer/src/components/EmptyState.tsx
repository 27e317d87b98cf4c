import type { ReactNode } from 'react';

/** What is (not) here and what to do about it. */
export function EmptyState({ title, hint, action, testId }: { title: string; hint?: ReactNode; action?: ReactNode; testId?: string }) {
  return (
    <div className="empty" role="status" data-testid={testId ?? 'empty-state'}>
      <p className="empty-title">{title}</p>
      {hint && <p className="empty-hint">{hint}</p>}
      {action && <div className="empty-action">{action}</div>}
    </div>
  );
}
