import { NovaError } from '../../shared/errors.js';
import { redactText } from '../../shared/redact.js';
import type { Engine } from '../engine.js';
import { getRecord, secretsOf } from './records.js';
import { resolveUser } from './prepare.js';
import { runtimeArgv } from './runtime.js';
import { deriveStatus, runtimeOf } from './status.js';

export interface ExecInput {
  name: string;
  command: string[];
  env: Record<string, string>;
  workdir?: string;
  user?: string;
  stdin?: string;
  timeoutMs: number;
}

/** `crun|runc exec` inside the running capsule; output and exit code come back (redacted). */
export async function execInCapsule(engine: Engine, input: ExecInput): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const rec = await getRecord(engine.paths, input.name);
  const st = await deriveStatus(engine, rec);
  if (st.state !== 'running') throw new NovaError('CONFLICT', `capsule ${input.name} is ${st.state}; exec needs it running (\`nova run container ${input.name}\`)`, { state: st.state });
  const rt = await runtimeOf(engine, rec);
  // Like the capsule's own process: its user unless the caller picks one.
  const configured = rec.spec.user ?? rec.image.config.user;
  const user = input.user ?? (configured ? await resolveUser(rec.image.rootfs, configured).then((u) => `${u.uid}:${u.gid}`) : undefined);
  const argv = runtimeArgv(
    rt,
    'exec',
    ...Object.entries(input.env).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
    ...(input.workdir ? ['--cwd', input.workdir] : []),
    ...(user ? ['--user', user] : []),
    rec.id,
    ...input.command,
  );
  const secrets = [...secretsOf(rec), ...Object.values(input.env).filter((v) => v.length >= 4)];
  const r = await engine.runner.run(argv, { allowFailure: true, timeoutMs: input.timeoutMs, secrets, ...(input.stdin !== undefined ? { input: input.stdin } : {}) });
  return { exitCode: r.exitCode, stdout: redactText(r.stdout, secrets), stderr: redactText(r.stderr, secrets) };
}
