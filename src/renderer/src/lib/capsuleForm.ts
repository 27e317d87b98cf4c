// The New capsule dialog's model: form fields → a NovaFile [container.NAME] section (containerSpec input).
import type { Input } from '../../../shared/contract.js';

export interface EnvRow {
  key: string;
  value: string;
}

export interface CapsuleForm {
  name: string;
  image: string;
  command: string;
  env: EnvRow[];
  /** One "host:container[:ro]" per line. */
  volumes: string;
  /** One "8080:80" per line. */
  ports: string;
  network: string;
  cpu: string;
  memory: string;
  pids: string;
  restart: 'no' | 'on-failure' | 'always';
  start: boolean;
}

export const emptyCapsuleForm = (): CapsuleForm => ({ name: '', image: '', command: '', env: [], volumes: '', ports: '', network: '', cpu: '', memory: '', pids: '', restart: 'no', start: true });

const lines = (text: string) => text.split('\n').map((l) => l.trim()).filter(Boolean);

/** The spec sent to capsule.create; the engine validates it and names the field of any mistake. */
type CapsuleSpecInput = Input<'capsule.create'>['spec'];

export function capsuleSpec(f: CapsuleForm): CapsuleSpecInput {
  const env = Object.fromEntries(f.env.filter((r) => r.key.trim()).map((r) => [r.key.trim(), r.value]));
  const limits: NonNullable<CapsuleSpecInput['limits']> = {};
  if (f.cpu.trim()) limits.cpu = Number(f.cpu);
  if (f.memory.trim()) limits.memory = f.memory.trim();
  if (f.pids.trim()) limits.pids = Number(f.pids);
  return {
    capsule: f.image.trim(),
    ...(f.command.trim() ? { command: f.command.trim() } : {}),
    ...(Object.keys(env).length ? { env } : {}),
    ...(lines(f.volumes).length ? { volumes: lines(f.volumes) } : {}),
    ...(lines(f.ports).length ? { ports: lines(f.ports) } : {}),
    ...(f.network ? { network: f.network } : {}),
    ...(Object.keys(limits).length ? { limits } : {}),
    restart: f.restart,
  };
}
