import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateNovafileText } from './validate.js';

const example = readFileSync(join(import.meta.dirname, '__fixtures__', 'spec-example.toml'), 'utf8');
const check = (text: string) => validateNovafileText(text, 'NovaFile');

describe('NovaFile validation', () => {
  it('accepts the spec example verbatim and normalizes sizes', () => {
    const { novafile, errors } = check(example);
    expect(errors).toEqual([]);
    expect(novafile?.project).toBe('dev-lab');
    expect(novafile?.vm.win11).toMatchObject({ cpu: 8, memory: 16 * 1024 ** 3, gpu_passthrough: true, network: 'bridge0' });
    expect(novafile?.container.api?.env).toEqual({ API_KEY: 'secret' });
    expect(novafile?.network['nova-net']).toMatchObject({ type: 'overlay', driver: 'quic', dns: true });
  });

  it('locates an unknown key at its line and column and suggests the right one', () => {
    const text = example.replace('cpu = 8\n', 'cpu = 8\n  cpus = 4\n');
    const { errors } = check(text);
    expect(errors).toEqual([
      expect.objectContaining({ line: 6, column: 3, path: 'vm.win11.cpus', message: 'unknown key `cpus` — did you mean `cpu`?', fix: 'rename it to `cpu`' }),
    ]);
  });

  it('names an undeclared network and lists the declared ones', () => {
    const { errors } = check(example.replace('network = "nova-net"', 'network = "nova-net2"'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ line: 13, column: 1, message: 'network `nova-net2` is not declared' });
    expect(errors[0]!.fix).toContain('"bridge0", "nova-net"');
  });

  it('reports TOML syntax errors with their position', () => {
    const { errors } = check('project = "x"\n[vm.a]\ncpu = = 2\n');
    expect(errors[0]).toMatchObject({ line: 3, path: '' });
    expect(errors[0]!.message).toMatch(/^TOML syntax/);
  });

  it.each([
    ['memory = "16 Gigs"', 'memory', /not a size/],
    ['cpu = "eight"', 'cpu', /expected number/],
    ['secure_boot = true\nfirmware = "bios"', 'secure_boot', /needs UEFI/],
    ['ports = ["80"]', 'ports.0', /port forward like "8080:80"/],
    ['gpu = "01:00"', 'gpu', /PCI address/],
  ])('explains %s', (line, path, message) => {
    const { errors } = check(`[vm.win11]\nkernel = "/boot/vmlinuz"\n${line}\n`);
    expect(errors[0]).toMatchObject({ path: `vm.win11.${path}`, line: 3 });
    expect(errors[0]!.message).toMatch(message);
  });

  it('rejects names that would be unsafe for system tools, at the section header', () => {
    const { errors } = check('[network."br0; rm -rf /"]\ntype = "bridge"\n');
    expect(errors[0]).toMatchObject({ line: 1, column: 1 });
    expect(errors[0]!.message).toMatch(/network names/);
  });

  it('checks cross-field rules: DHCP range inside the subnet, ports unique, names unique', () => {
    const text = `
[network.lan]
subnet = "10.213.0.1/24"
dhcp_range = "10.213.1.10-10.213.1.20"

[vm.a]
kernel = "/boot/vmlinuz"
ports = ["8080:80"]

[container.a]
capsule = "busybox"
ports = ["8080:80"]
`;
    const messages = check(text).errors.map((e) => `${e.line}:${e.message}`);
    expect(messages).toEqual([
      expect.stringMatching(/^4:dhcp_range .* is not an ascending range inside 10\.213\.0\.1\/24/),
      expect.stringMatching(/^10:"a" is both a vm and a container/),
      expect.stringMatching(/^12:host port 8080\/tcp is already forwarded by vm\.a/),
    ]);
  });

  it('several NICs: each network declared, one NIC per switch, own MACs, not mixed with network/mac/ports, ports unique', () => {
    const ok = check('[network.lab]\nsubnet = "10.120.9.1/24"\n\n[vm.a]\nkernel = "/k"\nnics = [{ network = "lab" }, { network = "user", model = "e1000e", ports = ["2222:22"] }]\n');
    expect(ok.errors).toEqual([]);
    expect(ok.novafile?.vm.a?.nics).toEqual([{ network: 'lab', ports: [] }, { network: 'user', model: 'e1000e', ports: ['2222:22'] }]);
    const text = `
[network.lab]
subnet = "10.120.9.1/24"

[vm.a]
kernel = "/k"
network = "lab"
nics = [{ network = "lab" }, { network = "lab", mac = "52:54:00:00:00:01" }, { network = "wan", mac = "52:54:00:00:00:01" }]
`;
    expect(check(text.replace('"wan", mac', '"wan", model = "ne2k", mac')).errors.map((e) => `${e.path}: ${e.message}`)).toEqual([
      'vm.a.nics.2.model: Invalid option: expected one of "virtio"|"e1000e"|"e1000"|"rtl8139"',
    ]);
    expect(check(text).errors.map((e) => `${e.path}: ${e.message}`)).toEqual([
      'vm.a.network: network and nics together are ambiguous: move it into the first NIC (nics = [{ network = "..." }, ...])',
      'vm.a.nics.1.network: network "lab" is on an earlier NIC already: one NIC per switch',
      'vm.a.nics.2.mac: MAC 52:54:00:00:00:01 is on an earlier NIC already: each NIC needs its own',
    ]);
    const cross = check('[vm.a]\nkernel = "/k"\nnics = [{ network = "wan" }, { network = "user", ports = ["80:80"] }]\n\n[vm.b]\nkernel = "/k"\nports = ["80:80"]\n');
    expect(cross.errors.map((e) => `${e.path}: ${e.message}`)).toEqual([
      'vm.a.nics.0.network: network `wan` is not declared',
      'vm.b.ports.0: host port 80/tcp is already forwarded by vm.a',
    ]);
  });

  it('network = "none": a VM without a NIC, like `nova vm create --network none`; never on a NIC', () => {
    expect(check('[vm.a]\nkernel = "/k"\nnetwork = "none"\n').errors).toEqual([]);
    expect(check('[vm.a]\nkernel = "/k"\nnics = [{ network = "none" }]\n').errors.map((e) => `${e.path}: ${e.message}`)).toEqual([
      'vm.a.nics.0.network: a NIC cannot be on network "none": leave it out (nics = [] for a VM without network)',
    ]);
    expect(check('[vm.a]\nkernel = "/k"\nnetwork = "nonet"\n').errors[0]?.fix).toMatch(/"user" for user-mode NAT, or "none" for no network/);
  });

  it('shares: a tag each, read-only shares are not virtiofs', () => {
    const ok = check('[vm.a]\nkernel = "/k"\nshares = [{ host = "./src", tag = "src" }]\n');
    expect(ok.novafile?.vm.a?.shares).toEqual([{ host: './src', tag: 'src', readonly: false, driver: 'auto' }]);
    const bad = check('[vm.a]\nkernel = "/k"\nshares = [{ host = "./src", tag = "src" }, { host = "./b", tag = "src", readonly = true, driver = "virtiofs" }]\n');
    expect(bad.errors.map((e) => `${e.path}: ${e.message}`)).toEqual([
      'vm.a.shares.1.tag: tag "src" is on an earlier share already: each share needs its own',
      'vm.a.shares.1.readonly: virtiofsd (QEMU 7.2) cannot enforce a read-only share: use driver = "9p" (or "auto") for readonly = true',
    ]);
    expect(check('[vm.a]\nkernel = "/k"\nshares = [{ host = "./src", tag = "my src" }]\n').errors[0]?.message).toMatch(/^a tag is 1-36 letters/);
  });

  it('demands something to boot, and a capsule image', () => {
    const { errors } = check('[vm.empty]\ncpu = 1\n\n[container.c]\nhostname = "c"\n');
    expect(errors.map((e) => `${e.path}@${e.line}`)).toEqual(['vm.empty@1', 'container.c.capsule@4']);
    expect(errors[1]!.message).toBe('`capsule` is required');
  });
});
