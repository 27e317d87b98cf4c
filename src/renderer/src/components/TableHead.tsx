/** A table's header row; the last column holds row actions (labelled for screen readers). */
export function TableHead({ columns }: { columns: string[] }) {
  return (
    <thead>
      <tr>
        {columns.map((c) => (
          <th key={c}>{c}</th>
        ))}
        <th aria-label="Actions" />
      </tr>
    </thead>
  );
}

/** The columns of the VM, capsule and network lists. */
export const RESOURCE_COLUMNS = ['Name', 'State', 'Project', 'Details'];
