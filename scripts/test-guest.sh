#!/usr/bin/env bash
# Builds Nova's shared TCG test guest: the Debian cloud kernel + a busybox initramfs.
# Output (cached, outside git): $NOVA_TEST_GUEST_DIR (default /var/cache/nova-test/guest)
#   vmlinuz, initrd.gz, VERSION. Prints the directory on stdout. Idempotent; fast when cached.
#
# The guest's /init: mounts proc/sys/dev, insmods the virtio modules (+ button/evdev), runs acpid
# so QMP system_powerdown powers it off, starts the QEMU guest agent (Debian qemu-guest-agent with
# its libraries, copied from this host; `nova.noqga` on the kernel command line leaves it out),
# runs nova-vdagent (the clipboard half of spice-vdagent, in sh) on com.redhat.spice.0 when the VM
# has `clipboard = true`, configures eth0 with udhcpc (our own script, inside the guest only), gives ttyS0 an interactive
# shell and writes "nova-counter N" to the serial console every second.
#
# NOVA_TEST_GUEST_KERNEL=generic builds the same guest on Debian's generic kernel
# (linux-image-amd64) into $NOVA_TEST_GUEST_DIR/generic, with the 9p modules the cloud kernel
# lacks (CONFIG_NET_9P is off there; the generic kernel's modules carry its own vermagic and
# cannot be loaded into the cloud kernel): for the guest side of 9p shared folders. It also has
# virtio-gpu (the cloud kernel has no DRM at all): with a virtio-vga display the guest's fbcon
# follows the size a VNC client asks for (/sys/class/drm/card0-Virtual-1/modes, fb0's size),
# and modetest (Debian libdrm-tests) as a KMS client: fbcon keeps the framebuffer it was first
# given, so a size larger than that is shown only by a client that sets the mode itself (a
# desktop session does; modetest stands in for one).
set -euo pipefail

BASE="${NOVA_TEST_GUEST_DIR:-/var/cache/nova-test/guest}"
case "${NOVA_TEST_GUEST_KERNEL:-cloud}" in
  cloud) OUT="$BASE"; META=linux-image-cloud-amd64; EXTRA_MODULES=""; EXTRA_RECIPE=""; EXTRA_TOOLS="" ;;
  generic) OUT="$BASE/generic"; META=linux-image-amd64; EXTRA_RECIPE=".drm2"; EXTRA_TOOLS="libdrm-tests:modetest"
    EXTRA_MODULES="netfs fscache 9pnet 9pnet_virtio 9p drm drm_kms_helper drm_shmem_helper virtio_dma_buf virtio-gpu" ;;
  *) echo "test-guest: NOVA_TEST_GUEST_KERNEL is cloud or generic" >&2; exit 1 ;;
esac
RECIPE="10$EXTRA_RECIPE"  # bump when the initramfs layout below changes (EXTRA_RECIPE: one kernel's modules only)
mkdir -p "$OUT"
exec 9>"$OUT/.lock"
flock 9

if [ -s "$OUT/vmlinuz" ] && [ -s "$OUT/initrd.gz" ] && [ "$(cat "$OUT/RECIPE" 2>/dev/null)" = "$RECIPE" ]; then
  echo "$OUT"; exit 0
fi

for t in apt-get apt-cache dpkg-deb cpio gzip busybox ldd; do
  command -v "$t" >/dev/null || { echo "test-guest: missing $t (apt-get install busybox-static cpio)" >&2; exit 1; }
done
QGA=/usr/sbin/qemu-ga
[ -x "$QGA" ] || { echo "test-guest: missing $QGA (apt-get install qemu-guest-agent)" >&2; exit 1; }
BUSYBOX="$(command -v busybox)"
file -L "$BUSYBOX" 2>/dev/null | grep -q 'statically linked' || BUSYBOX=/bin/busybox

WORK="$(mktemp -d "${TMPDIR:-/tmp}/nova-guest.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

# The kernel package $META (linux-image-cloud-amd64 or linux-image-amd64) currently points at.
KPKG="$(apt-cache depends "$META" 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')"
if [ -z "$KPKG" ]; then
  echo "test-guest: apt does not know $META (run apt-get update)" >&2; exit 1
fi
apt-get download -q "$KPKG" >/dev/null 2>&1 || { echo "test-guest: apt-get download $KPKG failed" >&2; exit 1; }
dpkg-deb -x ./*.deb kpkg
KVER="${KPKG#linux-image-}"
MODDIR="kpkg/lib/modules/$KVER/kernel"

mkdir -p root/{bin,sbin,etc/acpi/PWRF,etc/qemu,proc,sys,dev,tmp,lib/modules,usr/bin,usr/sbin,run}
cp "$BUSYBOX" root/bin/busybox
# qemu-ga and the shared libraries it links (the guest is the same Debian release as this host).
cp "$QGA" root/usr/sbin/qemu-ga
for lib in $(ldd "$QGA" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'); do
  mkdir -p "root$(dirname "$lib")"
  cp -L "$lib" "root$lib"
done
# Extra tools (package:binary) with the shared libraries they link, from this host's release.
for t in $EXTRA_TOOLS; do
  mkdir -p "tools-${t%%:*}"
  (cd "tools-${t%%:*}" && apt-get download -q "${t%%:*}" >/dev/null 2>&1) || { echo "test-guest: apt-get download ${t%%:*} failed" >&2; exit 1; }
  dpkg-deb -x "tools-${t%%:*}"/*.deb "tools-${t%%:*}/x"
  cp "tools-${t%%:*}/x/usr/bin/${t#*:}" root/usr/bin/
  for lib in $(ldd "root/usr/bin/${t#*:}" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'); do
    mkdir -p "root$(dirname "$lib")"
    cp -L "$lib" "root$lib"
  done
done
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk \
         failover net_failover virtio_net virtio_balloon virtio_console fuse virtiofs button evdev $EXTRA_MODULES; do
  f="$(find "$MODDIR" -name "$m.ko*" | head -n1)"
  [ -n "$f" ] || { echo "test-guest: module $m not in $KPKG" >&2; exit 1; }
  cp "$f" root/lib/modules/
  echo "$m" >> root/lib/modules/order
done

cat > root/init <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
exec >/dev/ttyS0 2>&1
for m in $(cat /lib/modules/order); do insmod /lib/modules/$m.ko* 2>/dev/null; done
hostname nova-guest
echo "nova-guest: init ready"
acpid -c /etc/acpi -l /tmp/acpid.log
# nova.datafs=vdX: a fresh ext2 on that disk at /data (something real for guest-fsfreeze to freeze).
for a in $(cat /proc/cmdline); do
  case "$a" in nova.datafs=*) d="${a#nova.datafs=}"; mkdir -p /data; mke2fs -q "/dev/$d" && mount -t ext4 "/dev/$d" /data && echo "nova-guest: /data on $d";; esac
done
# The guest agent on its virtio-serial port (no udev here: find the port by its name).
if ! grep -q nova.noqga /proc/cmdline; then
  for p in /sys/class/virtio-ports/*; do
    [ "$(cat "$p/name" 2>/dev/null)" = org.qemu.guest_agent.0 ] || continue
    mkdir -p /run/qga
    qemu-ga -m virtio-serial -p "/dev/${p##*/}" -t /run/qga --fsfreeze-hook=/etc/qemu/fsfreeze-hook -l /tmp/qga.log &
    echo "nova-guest: qemu-ga on /dev/${p##*/}"
  done
fi
# The clipboard agent on QEMU's vdagent port (clipboard = true). Ports appear asynchronously
# after virtio_console loads: look for it for a few seconds, in the background.
(
  for i in $(seq 1 120); do
    for p in /sys/class/virtio-ports/*; do
      [ "$(cat "$p/name" 2>/dev/null)" = com.redhat.spice.0 ] || continue
      echo "nova-guest: nova-vdagent on /dev/${p##*/}"
      exec nova-vdagent "/dev/${p##*/}"
    done
    sleep 0.5
  done
  echo "nova-guest: no vdagent port ($(ls /sys/class/virtio-ports 2>&1 | tr '\n' ' '))"
) &
if [ -e /sys/class/net/eth0 ]; then
  ip link set eth0 up
  udhcpc -i eth0 -s /etc/udhcpc.sh -t 5 -T 1 -n -q >/dev/null 2>&1 &
fi
for d in /sys/block/vd*; do [ -e "$d" ] && echo "nova-disk: ${d##*/}"; done
# An interactive shell on the serial console (nova console vm NAME --serial, the app's terminal).
setsid cttyhack sh -i </dev/ttyS0 >/dev/ttyS0 2>&1 &
i=0
while true; do
  echo "nova-counter $i"
  i=$((i+1))
  sleep 1
done
INIT
chmod +x root/init

cat > root/usr/bin/nova-vdagent <<'AGENT'
#!/bin/sh
# nova-vdagent PORT: the clipboard half of spice-vdagent in busybox sh, for the test guest (no X
# session here, so Debian's spice-vdagent cannot run). Speaks QEMU's qemu-vdagent chardev over
# the virtio-serial port com.redhat.spice.0: VDIChunkHeader {port, size} + VDAgentMessage
# {protocol=1, type, opaque, size} + data, little-endian; announces clipboard-by-demand only
# (no selections, no grab serials); messages up to one chunk (1024 bytes).
# Host → guest: GRAB → REQUEST(text) → CLIPBOARD data, kept in /tmp/clipboard.
# Guest → host: write /tmp/clip-grab (the text) and the agent GRABs; the host's REQUEST gets it.
exec 3<>"$1"
le32() {
  printf "\\$(printf %03o $(($1 & 255)))\\$(printf %03o $((($1 >> 8) & 255)))\\$(printf %03o $((($1 >> 16) & 255)))\\$(printf %03o $((($1 >> 24) & 255)))"
}
# send TYPE FILE: one chunk, the headers and the data in FILE, in a single write (the grab loop
# below writes too: two messages never interleave).
send() {
  n=$(wc -c < "$2")
  { le32 1; le32 $((20 + n)); le32 1; le32 "$1"; le32 0; le32 0; le32 "$n"; cat "$2"; } > "$2.chunk"
  cat "$2.chunk" >&3
}
rd32() { dd bs=4 count=1 iflag=fullblock <&3 2>/dev/null | od -An -tu4 | tr -d ' \n'; }
log() { echo "nova-vdagent: $*" > /dev/ttyS0; }
# Our capabilities (bit 5, clipboard by demand), asking for QEMU's: QEMU registers its clipboard
# peer when it gets them, and answers with its own.
{ le32 1; le32 32; } > /tmp/vda.caps
send 6 /tmp/vda.caps
# Guest → host: a copy in the guest is a GRAB of UTF-8 text.
( le32 1 > /tmp/vda.grab
  while :; do
    if [ -e /tmp/clip-grab ]; then
      mv /tmp/clip-grab /tmp/guest-clipboard
      send 7 /tmp/vda.grab
      log "grabbed the clipboard"
    fi
    sleep 0.2
  done ) &
while :; do
  port=$(rd32); csize=$(rd32)
  if [ -z "$csize" ]; then sleep 0.5; continue; fi
  rd32 >/dev/null; type=$(rd32); rd32 >/dev/null; rd32 >/dev/null; size=$(rd32)
  rm -f /tmp/vda.msg
  [ "$size" -gt 0 ] && dd bs="$size" count=1 iflag=fullblock of=/tmp/vda.msg <&3 2>/dev/null
  case "$type" in
    6) # capabilities: QEMU's answer, or its question (request = 1): then ours without one
      if [ "$(od -An -tu4 -N4 /tmp/vda.msg | tr -d ' ')" = 1 ]; then
        { le32 0; le32 32; } > /tmp/vda.caps
        send 6 /tmp/vda.caps
      fi
      log "capabilities exchanged";;
    7) # the host grabbed the clipboard: ask for its text
      le32 1 > /tmp/vda.req
      send 8 /tmp/vda.req;;
    4) # clipboard data: type (4 bytes), then the text
      dd if=/tmp/vda.msg bs=4 skip=1 of=/tmp/clipboard 2>/dev/null
      log "clipboard from the host: $(cat /tmp/clipboard)";;
    8) # the host asks for the guest's clipboard
      { le32 1; cat /tmp/guest-clipboard; } > /tmp/vda.data
      send 4 /tmp/vda.data
      log "sent the clipboard to the host";;
  esac
done
AGENT
chmod +x root/usr/bin/nova-vdagent

# busybox acpid runs ./PWRF/00000080 (relative to -c) for the power button.
cat > root/etc/acpi/PWRF/00000080 <<'PWR'
#!/bin/sh
echo "nova-guest: acpi power button, powering off" > /dev/ttyS0
sync
poweroff -f
PWR
chmod +x root/etc/acpi/PWRF/00000080

# qemu-ga's guest-shutdown runs /sbin/shutdown -P +0 MSG: power off a moment later so the agent
# can finish first.
cat > root/sbin/shutdown <<'SHUT'
#!/bin/sh
echo "nova-guest: shutdown $* (guest agent)" > /dev/ttyS0
(sleep 1; sync; poweroff -f) >/dev/null 2>&1 &
exit 0
SHUT
chmod +x root/sbin/shutdown

# qemu-ga runs this around guest-fsfreeze-freeze/thaw: the serial log shows that it happened.
cat > root/etc/qemu/fsfreeze-hook <<'HOOK'
#!/bin/sh
echo "nova-guest: fsfreeze $1" > /dev/ttyS0
exit 0
HOOK
chmod +x root/etc/qemu/fsfreeze-hook

printf 'PRETTY_NAME="Nova test guest (Debian 12 kernel, busybox)"\nNAME="Nova test guest"\nID=nova-test\nVERSION_ID=5\n' > root/etc/os-release

# Lease handler: configures eth0 only; DNS goes to /tmp (never any resolv.conf).
cat > root/etc/udhcpc.sh <<'DHCP'
#!/bin/sh
case "$1" in
  bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/${mask:-24}" dev "$interface"
    [ -n "$router" ] && ip route add default via "${router%% *}" dev "$interface" 2>/dev/null
    echo "$dns" > /tmp/dns
    echo "nova-net: $interface $ip/${mask:-24} router=${router:-none}" > /dev/ttyS0
    ;;
esac
exit 0
DHCP
chmod +x root/etc/udhcpc.sh

(cd root && find . | cpio -o -H newc --quiet | gzip -1) > initrd.gz
cp "kpkg/boot/vmlinuz-$KVER" vmlinuz
echo "$KVER" > VERSION
echo "$RECIPE" > RECIPE
mv -f vmlinuz initrd.gz VERSION "$OUT/"
mv -f RECIPE "$OUT/RECIPE"
echo "$OUT"
