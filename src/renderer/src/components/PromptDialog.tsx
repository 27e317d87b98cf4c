import { useEffect, useState } from 'react';
import { Modal } from './Modal';
import { usePrompt } from '../stores/prompt';

/** Asks for one value (snapshot name, clone name) with inline validation. */
export function PromptDialog() {
  const { request, answer } = usePrompt();
  const [value, setValue] = useState('');
  useEffect(() => setValue(request?.initial ?? ''), [request]);
  const problem = request?.validate?.(value);
  return (
    <Modal open={Boolean(request)} onOpenChange={(o) => !o && answer(undefined)} title={request?.title ?? ''}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (!problem) answer(value);
        }}
      >
        <label className="field">
          <span>{request?.label}</span>
          <input value={value} onChange={(e) => setValue(e.target.value)} autoFocus aria-invalid={Boolean(problem && value)} />
          {problem && value && <span className="field-error">{problem}</span>}
        </label>
        <div className="modal-actions">
          <button type="button" onClick={() => answer(undefined)}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={Boolean(problem)}>
            {request?.confirmLabel ?? 'OK'}
          </button>
        </div>
      </form>
    </Modal>
  );
}
