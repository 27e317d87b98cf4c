/** Determinate when value is a number in 0..1, indeterminate (animated) when null. */
export function ProgressBar({ value, label }: { value: number | null; label: string }) {
  return (
    <div
      className={`progress ${value === null ? 'progress-indeterminate' : ''}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      {...(value !== null ? { 'aria-valuenow': Math.round(value * 100) } : {})}
    >
      <div className="progress-fill" style={value !== null ? { width: `${Math.round(value * 100)}%` } : undefined} />
    </div>
  );
}
