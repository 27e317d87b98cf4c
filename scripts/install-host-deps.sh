#!/usr/bin/env bash
# Debian packages Nova drives and tests against (Arch equivalents in README.md).
set -euo pipefail
PKGS=(
  qemu-system-x86 qemu-utils ovmf swtpm swtpm-tools        # VMs, UEFI Secure Boot, TPM 2.0
  qemu-guest-agent                                         # the test guest's agent (copied into its initramfs)
  qemu-system-common systemd util-linux                    # shared folders: virtiofsd, systemd-socket-activate, unshare
  usb.ids                                                  # USB device names for nova usb ls
  busybox-static cpio zstd gzip apt                         # test guests (scripts/test-guest.sh), capsule rootfs, snapshots
  crun runc skopeo umoci docker-registry                   # capsules, images, loopback registry
  gcc libc6-dev libjson-c-dev pkgconf                      # builds native/*.c (the nova launcher with json-c)
  cargo rustc librust-quinn-dev librust-rustls-pemfile-dev  # builds native/quic-tunnel offline (Debian crates)
  librust-serde-json-dev librust-serde-derive-dev librust-libc-dev librust-tokio-dev librust-bytes-dev librust-ring-dev
  openssl iputils-ping                                     # quic overlay certificates; ping -M do / -p in its tests
  iproute2 nftables dnsmasq-base tcpdump procps            # networks (sysctl: per-bridge forwarding)
  wireguard-tools wireguard-go iperf3                      # wireguard overlays (wireguard-go where the kernel has no WireGuard), bench/overlay
  weston chromium                                          # the UI as a Wayland client, e2e tests
  desktop-file-utils libxml2-utils                         # validate resources/org.nova.Nova.desktop and the polkit policy
  appstream prometheus                                     # appstreamcli validates the metainfo; promtool and a real prometheus scrape /metrics
  uidmap passt                                             # rootless capsules: newuidmap/newgidmap, pasta networking
  polkitd dbus                                             # nova privd asks polkit (tests: a private system bus)
  openssh-client openssh-server                            # remote Nova hosts over SSH (tests: an sshd per namespace)
  etcd-server etcd-client                                  # cluster mode: an etcd member per host (nova cluster)
  util-linux kmod pciutils curl jq ca-certificates git     # flock, modprobe, lspci, checks
  xorriso gpgv gnupg                                       # cloud-init seed ISOs; OS image signatures (tests make a key with gpg)
  isolinux syslinux-common                                 # the ISO install test boots a CD it makes
  mtools dosfstools sbsigntool                             # the Secure Boot test's ESP images (FAT via mtools, sbattach strips a signature)
)
# `--bench`: also what the benches compare against (not needed by the tests or the app).
if [ "${1:-}" = "--bench" ]; then PKGS+=(podman); fi
# Run as yourself (the README's quick start) or as root (CI). Only apt needs root: as a user it
# goes through sudo, which asks for your password; without sudo, run this script once as root.
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo env DEBIAN_FRONTEND=noninteractive "$@"
  else
    echo "install-host-deps: installing Debian packages needs root, and sudo is not installed." >&2
    echo "  Run it once in a root shell (su -c 'bash scripts/install-host-deps.sh'), then go on as yourself." >&2
    exit 1
  fi
}
missing=()
for p in "${PKGS[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq "${missing[@]}"
fi
echo "host packages ready (${#PKGS[@]} checked, ${#missing[@]} installed now)"
# The test guests boot Debian's cloud kernel, fetched with `apt-get download`: apt must know it.
apt-cache show linux-image-cloud-amd64 >/dev/null 2>&1 || as_root apt-get update -qq
# A desktop user needs the kvm group for /dev/kvm (TCG works without it, much slower).
if [ "$(id -u)" != 0 ] && [ -e /dev/kvm ] && ! id -nG | tr ' ' '\n' | grep -qx kvm; then
  echo "note: you are not in the kvm group, so VMs run without KVM: sudo adduser $(id -un) kvm, then log in again"
fi
# The Secure Boot test (it runs as root) boots Debian's signed shim and GRUB: downloaded and
# unpacked into /var/cache/nova-test/secboot, not installed (shim-signed's maintainer script may
# run grub-install on the host).
if [ "$(id -u)" = 0 ]; then bash "$(dirname "$0")/secboot-media.sh" >/dev/null; fi
