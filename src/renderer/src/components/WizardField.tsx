import type { ReactNode } from 'react';

/** A labelled form field with its validation message underneath. */
export function WizardField({ label, error, children }: { label: string; error?: string | undefined; children: ReactNode }) {
  return (
    <label className="field">
      <span>{label}</span>
      {children}
      {error && <span className="field-error">{error}</span>}
    </label>
  );
}
