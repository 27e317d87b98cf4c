import type { Method } from '../../shared/contract.js';
import { POLKIT_ACTIONS, PRIVILEGED_STEPS } from '../../shared/contract/privileged.js';
import { NovaError } from '../../shared/errors.js';
import type { Guard } from '../rpc/dispatcher.js';
import { privdPresent, privdSocket, startHelperFix } from './client.js';
import { currentIdentity } from '../sys/privilege.js';
import type { Identity } from '../sys/privilege.js';
import { mayDoDirectly } from './index.js';

// The one privilege guard, run by the dispatcher before a handler: a step declared privileged
// (src/shared/contract/privileged.ts) goes ahead when this process holds its capabilities or
// `nova privd` is there to do it (the helper then authorizes the caller itself). Otherwise the
// caller learns how to start the helper, and nothing was changed.

export function privilegeGuard(env: NodeJS.ProcessEnv = process.env, identity: () => Identity = currentIdentity): Guard {
  return (method: Method, input: unknown) => {
    const step = PRIVILEGED_STEPS[method];
    const i = (input ?? {}) as Record<string, unknown>;
    if (!step || step.when?.(i) === false || mayDoDirectly(step, identity()) || privdPresent(env)) return;
    const action = step.action(i);
    const fix = startHelperFix(env);
    const stricter = step.stricter?.(i);
    const polkit = stricter ? `${POLKIT_ACTIONS[step.group]} and ${POLKIT_ACTIONS[stricter]}` : POLKIT_ACTIONS[step.group];
    throw new NovaError('PERMISSION', `${action} needs ${step.root ? 'root' : step.caps.join(' and ')}, which Nova does as your user through its privileged helper when polkit allows ${polkit}, and the helper is not running (no ${privdSocket(env)}). Nothing was changed. To fix: ${fix}.`, {
      action: POLKIT_ACTIONS[stricter ?? step.group],
      missingCaps: step.caps,
      fix,
    });
  };
}
