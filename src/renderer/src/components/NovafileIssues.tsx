import type { NovafileIssue } from '../../../shared/contract/novafile.js';
import type { PlanIssue } from '../../../shared/contract/novafile-apply.js';

type Issue = Pick<NovafileIssue, 'path' | 'message' | 'fix'> & { line?: number | undefined; column?: number | undefined };

const where = (file: string, i: Issue) => (i.line !== undefined ? `${file}:${i.line}:${i.column ?? 1}` : file);

/** NovaFile errors as the CLI prints them: file:line:column, the key, what is wrong, the fix. */
export function NovafileIssues({ file, issues, title }: { file: string; issues: (NovafileIssue | PlanIssue)[]; title: string }) {
  if (issues.length === 0) return null;
  const name = file.split('/').pop() ?? file;
  return (
    <div className="error-notice issues" role="alert" data-testid="novafile-issues">
      <strong>{title}</strong>
      <ul>
        {issues.map((i, n) => (
          <li key={n}>
            <code title={where(file, i)}>{where(name, i)}</code>
            {i.path && <> {i.path}:</>} {i.message}
            {i.fix && <span className="muted"> — {i.fix}</span>}
          </li>
        ))}
      </ul>
    </div>
  );
}
