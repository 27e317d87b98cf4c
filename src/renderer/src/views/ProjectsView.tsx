import { useState } from 'react';
import type { FormEvent } from 'react';
import { EmptyState } from '../components/EmptyState';
import { ViewHeader } from '../components/ViewHeader';
import { useProjects } from '../stores/projects';
import { ProjectDetail } from './ProjectDetail';

/** NovaFile projects: open a folder, see its plan, apply or destroy it. */
export function ProjectsView() {
  const { folders, selected, open, forget, select } = useProjects();
  const [folder, setFolder] = useState('');
  const current = selected ?? folders[0];
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const f = folder.trim().replace(/\/+$/, '') || '/';
    open(f);
    setFolder('');
  };
  return (
    <>
      <ViewHeader title="Projects" subtitle="A folder with a NovaFile: its plan against this host, applied or destroyed here as with nova plan / up / down." />
      <form className="inline-form" aria-label="Open a project" onSubmit={submit}>
        <label className="grow">
          Project folder (holds the NovaFile) <input value={folder} onChange={(e) => setFolder(e.target.value)} placeholder="/home/me/dev-lab" required pattern="/.*" title="an absolute folder path" />
        </label>
        <button type="submit" className="primary">Open</button>
      </form>
      {folders.length === 0 ? (
        <EmptyState title="No project open" hint="Give the folder of a NovaFile above; `nova validate -f NovaFile` checks one from the CLI." />
      ) : (
        <div className="tabs" role="tablist" aria-label="Open projects">
          {folders.map((f) => (
            <span key={f} className="tab-with-close">
              <button type="button" role="tab" aria-selected={f === current} className={f === current ? 'active' : ''} onClick={() => select(f)} title={f}>
                {f.split('/').filter(Boolean).pop() ?? f}
              </button>
              <button type="button" className="ghost" aria-label={`Close ${f}`} onClick={() => forget(f)}>×</button>
            </span>
          ))}
        </div>
      )}
      {current && <ProjectDetail key={current} folder={current} />}
    </>
  );
}
