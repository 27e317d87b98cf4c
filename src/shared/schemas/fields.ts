import { z } from 'zod';
import { parseSize, SIZE_HINT } from '../sizes.js';
import { lazy } from '../lazy.js';

// Field types shared by NovaFile sections and API inputs.

/** "16Gi" | "512Mi" | 2147483648 → bytes. */
export const size = lazy(() => z.union([z.string(), z.number()]).transform((v, ctx) => {
  const bytes = parseSize(v);
  if (bytes === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a size — ${SIZE_HINT}` });
    return z.NEVER;
  }
  return bytes;
}));

export const PCI_ADDRESS = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-1][0-9a-f]\.[0-7]$/;
export const pciAddress = lazy(() => z
  .string()
  .transform((s) => (/^[0-9a-f]{2}:[0-1][0-9a-f]\.[0-7]$/i.test(s) ? `0000:${s}` : s).toLowerCase())
  .refine((s) => PCI_ADDRESS.test(s), 'write a PCI address like "0000:01:00.0"'));

const octet = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
export const IPV4 = new RegExp(`^${octet}(\\.${octet}){3}$`);
export const ipv4 = lazy(() => z.string().regex(IPV4, 'write an IPv4 address like "192.168.220.10"'));

/** Ranges a switch subnet must not touch: the kernel or the network treats them specially. */
const RESERVED: [string, number, string][] = [
  ['0.0.0.0', 8, 'this-network (0.0.0.0/8)'],
  ['127.0.0.0', 8, 'loopback (127.0.0.0/8)'],
  ['169.254.0.0', 16, 'link-local (169.254.0.0/16)'],
  ['224.0.0.0', 4, 'multicast (224.0.0.0/4)'],
  ['240.0.0.0', 4, 'reserved (240.0.0.0/4)'],
];
const ipInt = (ip: string) => ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
/** The special range an address falls into ("loopback (127.0.0.0/8)"), or undefined. */
export function reservedRange(ip: string): string | undefined {
  const sameNet = (a: number, b: number, len: number) => Math.floor(a / 2 ** (32 - len)) === Math.floor(b / 2 ** (32 - len));
  return RESERVED.find(([net, len]) => sameNet(ipInt(ip), ipInt(net), len))?.[2];
}

export const cidr = lazy(() => z.string().superRefine((s, ctx) => {
  const [ip, len, extra] = s.split('/');
  if (extra !== undefined || !IPV4.test(ip ?? '') || !/^\d+$/.test(len ?? '') || Number(len) < 8 || Number(len) > 30) {
    ctx.addIssue({ code: 'custom', message: 'write a subnet like "192.168.220.1/24" (the address is the gateway; prefix 8-30)' });
    return;
  }
  const special = reservedRange(ip!);
  if (special) ctx.addIssue({ code: 'custom', message: `${s} is in ${special}: pick a private range like "192.168.220.1/24" or "10.20.0.1/24"` });
}));

/** Unicast MACs only: a multicast/broadcast source address (low bit of the first octet) breaks the bridge. */
export const macAddress = lazy(() => z
  .string()
  .regex(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i, 'write a MAC like "52:54:00:12:34:56"')
  .refine((m) => parseInt(m.slice(0, 2), 16) % 2 === 0, 'that is a multicast MAC (the first octet is odd): write a unicast MAC like "52:54:00:12:34:56"')
  .refine((m) => !/^(00:){5}00$/.test(m), 'the all-zero MAC is not an address: write one like "52:54:00:12:34:56"'));

/** A DNS name dnsmasq gets as an argument: labels of letters, digits and "-", dot-separated. */
export const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;
export const dnsName = (examples: string) => z.string().regex(DNS_NAME, `write a DNS name like ${examples} (letters, digits, "-" and dots)`);

/** "8080:80", "8080:80/udp", "127.0.0.1:8080:80". */
export const PORT_FORWARD = /^(?:((?:\d{1,3}\.){3}\d{1,3}):)?(\d{1,5}):(\d{1,5})(?:\/(tcp|udp))?$/;
export const portForward = lazy(() => z.string().superRefine((s, ctx) => {
  const m = PORT_FORWARD.exec(s);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535 || Number(m[3]) < 1 || Number(m[3]) > 65535) {
    ctx.addIssue({ code: 'custom', message: 'write a port forward like "8080:80" (host:guest), "8080:80/udp" or "127.0.0.1:8080:80"' });
  } else if (m[1] && !IPV4.test(m[1])) {
    ctx.addIssue({ code: 'custom', message: `"${m[1]}" is not an IPv4 address: write the host address like "127.0.0.1:8080:80", or leave it out ("8080:80")` });
  } else if (m[1] && /^(multicast|reserved)/.test(reservedRange(m[1]) ?? '')) {
    ctx.addIssue({ code: 'custom', message: `${m[1]} is a ${reservedRange(m[1])} address: forward from a host address like "127.0.0.1:8080:80"` });
  }
}));

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

export const restartPolicy = lazy(() => z.enum(['no', 'on-failure', 'always']));
export const ifaceName = lazy(() => z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.:-]{0,14}$/, 'write a host interface name like "enp6s0"'));
