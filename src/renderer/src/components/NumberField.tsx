import { useEffect, useState } from 'react';

/**
 * A number input that lets the user type freely (a draft) and commits only values inside
 * [min, max]; an out-of-range draft is flagged and reverts on blur.
 */
export function NumberField({ value, min, max, onCommit, label, testId }: { value: number; min: number; max: number; onCommit(v: number): void; label: string; testId?: string }) {
  const [draft, setDraft] = useState(String(value));
  useEffect(() => setDraft(String(value)), [value]);
  const n = Number(draft);
  const valid = draft !== '' && Number.isInteger(n) && n >= min && n <= max;
  return (
    <input
      type="number"
      min={min}
      max={max}
      value={draft}
      aria-label={label}
      aria-invalid={!valid}
      title={valid ? undefined : `${min}–${max}`}
      className={valid ? '' : 'invalid'}
      data-testid={testId}
      onChange={(e) => {
        setDraft(e.target.value);
        const v = Number(e.target.value);
        if (e.target.value !== '' && Number.isInteger(v) && v >= min && v <= max && v !== value) onCommit(v);
      }}
      onBlur={() => !valid && setDraft(String(value))}
    />
  );
}
