// Where `nova privd` listens: its own file so a cold `nova ls` can tell whether the helper is
// there without loading the helper's verbs and their schemas.
import { existsSync } from 'node:fs';

/** Where `nova privd` listens unless told otherwise (`--socket`, NOVA_PRIVD_SOCKET). */
export const DEFAULT_SOCKET = '/run/nova/privd.sock';

export const privdSocket = (env: NodeJS.ProcessEnv = process.env) => env.NOVA_PRIVD_SOCKET || DEFAULT_SOCKET;

export const privdPresent = (env: NodeJS.ProcessEnv = process.env) => existsSync(privdSocket(env));
