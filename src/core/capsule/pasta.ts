import { NovaError } from '../../shared/errors.js';
import { parsePortForward } from '../../shared/schemas/fields.js';
import { findBinary } from '../sys/which.js';

// pasta (Debian/Arch `passt`) connects an ordinary user's capsule to the host without root, as
// Podman does: outbound TCP/UDP/ICMP through the user's own sockets, DNS forwarded to the host's
// resolver, and the capsule's `ports` published as listening sockets of the user's. The
// supervisor runs it (native/capsule-net.h) and appends `-f -P pasta.pid <pid>`.

/** The capsule's nameserver: pasta answers queries to it with the host's resolver. */
export const PASTA_DNS = '169.254.1.1';

export const PASTA_FIX = 'install pasta: `sudo apt install passt` (Debian) or `sudo pacman -S passt` (Arch)';

export async function pastaBinary(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const bin = await findBinary('pasta', env);
  if (!bin) {
    throw new NovaError('HOST_UNSUPPORTED', `a capsule of an ordinary user without a switch is connected by pasta, which is not installed: ${PASTA_FIX} (or set network = "none", or a switch)`, {
      fix: PASTA_FIX,
      field: 'network',
    });
  }
  return bin;
}

/**
 * pasta's forward spec for one `ports` entry: "8080:80" on the host's loopback only,
 * "0.0.0.0:8080:80" on every address, "192.0.2.5:8080:80" on that one.
 */
export function pastaForward(port: string): { flag: '-t' | '-u'; spec: string } {
  const p = parsePortForward(port);
  const addr = p.hostIp === undefined ? '127.0.0.1/' : p.hostIp === '0.0.0.0' ? '' : `${p.hostIp}/`;
  return { flag: p.protocol === 'udp' ? '-u' : '-t', spec: `${addr}${p.hostPort}:${p.guestPort}` };
}

/** pasta's argv without the target: only the declared ports, nothing of the host's loopback inside. */
export function pastaArgs(bin: string, ports: string[], logFile: string): string[] {
  const fwd = ports.map(pastaForward);
  const of = (flag: '-t' | '-u') => {
    const specs = fwd.filter((f) => f.flag === flag).map((f) => f.spec);
    // pasta's default is "auto" (every port the capsule binds): publish only what was declared.
    return specs.length ? specs.flatMap((s) => [flag, s]) : [flag, 'none'];
  };
  return [
    bin,
    '--config-net',
    '--quiet',
    '--log-file', logFile,
    ...of('-t'),
    ...of('-u'),
    // No forwards from the capsule into the host's own loopback services, and the gateway stays
    // a gateway (not the host's 127.0.0.1).
    '-T', 'none',
    '-U', 'none',
    '--no-map-gw',
    '--dns-forward', PASTA_DNS,
  ];
}
