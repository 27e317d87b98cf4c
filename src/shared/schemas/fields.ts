import { z } from 'zod';
import { parseSize, SIZE_HINT } from '../sizes.js';

// Field types shared by NovaFile sections and API inputs.

/** "16Gi" | "512Mi" | 2147483648 → bytes. */
export const size = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const bytes = parseSize(v);
  if (bytes === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a size — ${SIZE_HINT}` });
    return z.NEVER;
  }
  return bytes;
});

export const PCI_ADDRESS = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-1][0-9a-f]\.[0-7]$/;
export const pciAddress = z
  .string()
  .transform((s) => (/^[0-9a-f]{2}:[0-1][0-9a-f]\.[0-7]$/i.test(s) ? `0000:${s}` : s).toLowerCase())
  .refine((s) => PCI_ADDRESS.test(s), 'write a PCI address like "0000:01:00.0"');

const octet = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
export const IPV4 = new RegExp(`^${octet}(\\.${octet}){3}$`);
export const ipv4 = z.string().regex(IPV4, 'write an IPv4 address like "192.168.220.10"');
export const cidr = z
  .string()
  .refine((s) => {
    const [ip, len, extra] = s.split('/');
    return extra === undefined && IPV4.test(ip ?? '') && /^\d+$/.test(len ?? '') && Number(len) >= 8 && Number(len) <= 30;
  }, 'write a subnet like "192.168.220.1/24" (the address is the gateway; prefix 8-30)');

/** "8080:80", "8080:80/udp", "127.0.0.1:8080:80". */
export const PORT_FORWARD = /^(?:((?:\d{1,3}\.){3}\d{1,3}):)?(\d{1,5}):(\d{1,5})(?:\/(tcp|udp))?$/;
export const portForward = z.string().refine((s) => {
  const m = PORT_FORWARD.exec(s);
  return Boolean(m && Number(m[2]) >= 1 && Number(m[2]) <= 65535 && Number(m[3]) >= 1 && Number(m[3]) <= 65535);
}, 'write a port forward like "8080:80" (host:guest), "8080:80/udp" or "127.0.0.1:8080:80"');

export interface PortForward {
  hostIp?: string;
  hostPort: number;
  guestPort: number;
  protocol: 'tcp' | 'udp';
}
export function parsePortForward(s: string): PortForward {
  const m = PORT_FORWARD.exec(s);
  if (!m) throw new Error(`not a port forward: ${s}`);
  return { ...(m[1] ? { hostIp: m[1] } : {}), hostPort: Number(m[2]), guestPort: Number(m[3]), protocol: (m[4] as 'tcp' | 'udp') ?? 'tcp' };
}

export const restartPolicy = z.enum(['no', 'on-failure', 'always']);
export const ifaceName = z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.:-]{0,14}$/, 'write a host interface name like "enp6s0"');
