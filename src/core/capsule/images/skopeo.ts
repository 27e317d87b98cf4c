import { execa } from 'execa';
import { NovaError } from '../../../shared/errors.js';
import type { EngineContext } from '../../context.js';
import type { TaskHandle } from '../../rpc/tasks.js';

export interface CopyOptions {
  src: string;
  dest: string;
  ref: string;
  insecure: boolean;
  task: TaskHandle;
}

/**
 * `skopeo copy` with its output streamed into task.progress (argv only). The manifest is
 * inspected first so an unknown image fails fast with NOT_FOUND and progress knows the layer count.
 */
export async function skopeoCopy(engine: EngineContext, o: CopyOptions): Promise<void> {
  const tls = o.insecure ? ['--tls-verify=false'] : [];
  const env = skopeoEnv(engine);
  o.task.progress(0, `resolving ${o.ref}`);
  const inspect = await engine.runner.run(['skopeo', 'inspect', '--raw', ...tls, o.src], { allowFailure: true, timeoutMs: 120_000, signal: o.task.signal, env });
  if (inspect.exitCode !== 0) throw registryError(o.ref, inspect.stderr);
  let layers = 0;
  try {
    layers = (JSON.parse(inspect.stdout) as { layers?: unknown[] }).layers?.length ?? 0;
  } catch {
    /* manifest list: progress stays approximate */
  }
  const steps = Math.max(1, layers + 1);
  let done = 0;
  const child = execa('skopeo', ['copy', ...(o.insecure ? ['--src-tls-verify=false'] : []), o.src, o.dest], {
    env,
    reject: false,
    cancelSignal: o.task.signal,
    timeout: 3_600_000,
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (/^Copying (blob|config)/.test(line)) {
        done++;
        o.task.progress(Math.min(0.9, (done / steps) * 0.9), line.trim());
      }
    }
  });
  const r = await child;
  if (r.isCanceled) throw new NovaError('CANCELLED', `pull ${o.ref} cancelled`);
  if (r.exitCode !== 0) throw registryError(o.ref, String(r.stderr ?? ''));
}

/**
 * Without XDG_RUNTIME_DIR (an ssh or `setpriv` session) skopeo looks for credentials in
 * /run/containers/UID/auth.json and fails hard when root's podman made /run/containers 0700
 * ("permission denied", not "absent"). A user's engine points it at its own runtime folder, where
 * an absent auth.json falls through to ~/.config/containers/auth.json as usual.
 */
function skopeoEnv(engine: EngineContext): Record<string, string> {
  if (process.getuid?.() === 0 || engine.env.XDG_RUNTIME_DIR) return {};
  return { XDG_RUNTIME_DIR: engine.paths.runtime };
}

function registryError(ref: string, stderr: string): NovaError {
  const msg = stderr.trim().split('\n').pop() ?? '';
  if (/manifest unknown|name unknown|not found|repository name not known/i.test(msg)) {
    return new NovaError('NOT_FOUND', `image ${ref} does not exist in its registry (${msg.slice(0, 300)}); check the name and tag`, { ref });
  }
  if (/executable file not found|ENOENT/.test(msg)) return new NovaError('HOST_UNSUPPORTED', 'skopeo is not installed (install the skopeo package)');
  return new NovaError('INTERNAL', `pull ${ref} failed: ${msg.slice(0, 500)}`, { ref });
}
