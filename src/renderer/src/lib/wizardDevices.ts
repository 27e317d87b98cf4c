// The wizard's extra NICs and shared folders → `nics = [...]` and `shares = [...]` of the
// NovaFile entry. The Network step's first choice stays the first NIC; more NICs each get a
// switch (or "user", user-mode NAT) and a device model, a user-mode NIC its port forwards; a
// folder gets a tag the guest mounts it by.
import { PORT_FORWARD, portList } from './ports';

export const NIC_MODELS = ['virtio', 'e1000e', 'e1000', 'rtl8139'] as const;
export type NicModel = (typeof NIC_MODELS)[number];
export interface WizardNic {
  network: string;
  model: NicModel;
  /** A user-mode NIC's port forwards as typed ("8080:80, 2222:22"); switches forward with network forwards. */
  ports?: string;
}

export const SHARE_DRIVERS = ['auto', 'virtiofs', '9p'] as const;
export interface WizardShare {
  host: string;
  tag: string;
  readonly: boolean;
  driver: (typeof SHARE_DRIVERS)[number];
}

export interface DeviceChoices {
  network: string;
  nics: WizardNic[];
  shares: WizardShare[];
}

const TAG = /^[A-Za-z0-9][A-Za-z0-9._-]{0,35}$/;

/** A tag from the folder's last name ("./src" → "src"), made to fit the rule. */
export const tagFor = (host: string): string => {
  const base = host.replace(/\/+$/, '').split('/').pop() ?? '';
  return base.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 36);
};

/** Problems of the extra NICs and shares (empty: none), the same rules the engine's schema applies. */
export function deviceProblems(s: DeviceChoices): { nics?: string; shares?: string } {
  const p: { nics?: string; shares?: string } = {};
  const switches = [s.network || 'user', ...s.nics.map((n) => n.network)].filter((n) => n !== 'user');
  const dup = switches.find((n, i) => switches.indexOf(n) < i);
  if (s.nics.some((n) => !n.network)) p.nics = 'pick a network for every added NIC (or remove it)';
  else if (dup) p.nics = `network "${dup}" is on an earlier NIC already: one NIC per switch`;
  else if (s.nics.length > 7) p.nics = 'at most 8 NICs';
  else {
    const bad = s.nics.flatMap((n) => (n.network === 'user' ? portList(n.ports) : [])).find((f) => !PORT_FORWARD.test(f));
    if (bad) p.nics = `"${bad}" is not a port forward: write host:guest like "8080:80", "8080:80/udp" or "127.0.0.1:8080:80"`;
  }
  for (const [i, sh] of s.shares.entries()) {
    if (!sh.host.trim()) p.shares = `folder ${i + 1}: give the host folder to share`;
    else if (!TAG.test(sh.tag)) p.shares = `folder ${i + 1}: a tag is 1-36 letters, digits, ".", "_" or "-" (the guest mounts the share by it)`;
    else if (s.shares.findIndex((o) => o.tag === sh.tag) < i) p.shares = `folder ${i + 1}: tag "${sh.tag}" is on an earlier share already`;
    else if (sh.readonly && sh.driver === 'virtiofs') p.shares = `folder ${i + 1}: virtiofs cannot enforce read-only: use 9p or auto`;
    if (p.shares) break;
  }
  if (s.shares.length > 8) p.shares = 'at most 8 shared folders';
  return p;
}

/** Writes the choices into the spec: more than one NIC becomes `nics` (the first from `network`). */
export function withDevices(spec: Record<string, unknown>, s: DeviceChoices): Record<string, unknown> {
  const out = { ...spec };
  if (s.nics.length) {
    delete out.network;
    out.nics = [
      { network: s.network || 'user' },
      ...s.nics.map((n) => ({ network: n.network, ...(n.model !== 'virtio' ? { model: n.model } : {}), ...(n.network === 'user' && portList(n.ports).length ? { ports: portList(n.ports) } : {}) })),
    ];
  }
  if (s.shares.length) {
    out.shares = s.shares.map((sh) => ({ host: sh.host.trim(), tag: sh.tag, ...(sh.readonly ? { readonly: true } : {}), ...(sh.driver !== 'auto' ? { driver: sh.driver } : {}) }));
  }
  return out;
}
