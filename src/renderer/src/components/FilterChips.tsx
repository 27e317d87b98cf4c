/** A row of toggle chips for one facet; none selected = everything shown. */
export function FilterChips({ label, values, selected, onToggle }: { label: string; values: string[]; selected: string[]; onToggle(v: string): void }) {
  const all = [...new Set([...values, ...selected])].sort();
  return (
    <div className="chips" role="group" aria-label={label}>
      <span className="chips-label">{label}</span>
      {all.map((v) => (
        <button key={v} type="button" className={`chip ${selected.includes(v) ? 'active' : ''}`} aria-pressed={selected.includes(v)} onClick={() => onToggle(v)}>
          {v}
        </button>
      ))}
    </div>
  );
}
