import type { PreflightCheck } from '../../shared/contract/support.js';
import { findBinary } from '../sys/which.js';

// Preflight's pasta line: an ordinary user's capsule without a switch is connected by pasta
// (src/core/capsule/pasta.ts). Root's capsules don't use it, so for root a missing pasta is a
// warning about the desktop users, for a user it is a failure of their default capsules.

const title = 'Rootless capsules: pasta (networking)';

/** `p` is the rootless probe (rootless-checks.ts), narrowed to what this line reads. */
export async function pastaCheck(p: { env: NodeJS.ProcessEnv; uid: number }): Promise<PreflightCheck> {
  const id = 'rootless-pasta';
  const bin = await findBinary('pasta', p.env);
  if (bin) return { id, title, status: 'ok', detail: `${bin}: a user's capsule without a switch gets outbound traffic, DNS and its published ports` };
  return {
    id,
    title,
    status: p.uid === 0 ? 'warn' : 'fail',
    detail: 'pasta not found: an ordinary user\'s capsules without a switch cannot start (network = "none" or a switch through nova privd still work)',
    remedy: { debian: 'sudo apt install passt', arch: 'sudo pacman -S passt' },
  };
}
