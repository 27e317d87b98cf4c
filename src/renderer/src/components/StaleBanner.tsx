import { isStale, useConnection } from '../stores/connection';
import { call } from '../lib/rpc';

/** When the event stream drops, everything on screen may be old: say so and offer to reconnect. */
export function StaleBanner() {
  const conn = useConnection();
  if (!isStale(conn)) return null;
  return (
    <div className="stale-banner" role="alert" data-testid="stale-banner">
      <span>
        Live updates lost {conn.state === 'connecting' ? '— reconnecting…' : '— what you see may be out of date.'} Nova retries every 2 s;
        if the engine stopped, start it again with <code>nova serve</code>.
      </span>
      {/* Any call opens a new connection when the old one is gone. */}
      <button type="button" onClick={() => void call('host.info', {}).catch(() => undefined)} data-testid="reconnect">
        Reconnect now
      </button>
    </div>
  );
}
