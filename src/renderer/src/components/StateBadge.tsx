const TONE: Record<string, string> = {
  running: 'ok', active: 'ok', ok: 'ok', up: 'ok', bound: 'ok',
  paused: 'warn', degraded: 'warn', starting: 'warn', stopping: 'warn', creating: 'warn',
  crashed: 'error', failed: 'error', down: 'error', 'action needed': 'error', error: 'error',
};

/** A coloured pill for a state word; the reason (if any) is its tooltip. */
export function StateBadge({ state, reason }: { state: string; reason?: string | undefined }) {
  const tone = TONE[state.toLowerCase()] ?? 'muted';
  return (
    <span className={`badge badge-${tone}`} title={reason} data-state={state}>
      {state}
    </span>
  );
}
