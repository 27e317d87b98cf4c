#!/usr/bin/env bash
# Builds Nova's shared TCG test guest: the Debian cloud kernel + a busybox initramfs.
# Output (cached, outside git): $NOVA_TEST_GUEST_DIR (default /var/cache/nova-test/guest)
#   vmlinuz, initrd.gz, VERSION. Prints the directory on stdout. Idempotent; fast when cached.
#
# The guest's /init: mounts proc/sys/dev, insmods the virtio modules (+ button/evdev), runs acpid
# so QMP system_powerdown powers it off, configures eth0 with udhcpc (our own script, inside the
# guest only) and writes "nova-counter N" to the serial console every second.
set -euo pipefail

OUT="${NOVA_TEST_GUEST_DIR:-/var/cache/nova-test/guest}"
RECIPE=4   # bump when the initramfs layout below changes
mkdir -p "$OUT"
exec 9>"$OUT/.lock"
flock 9

if [ -s "$OUT/vmlinuz" ] && [ -s "$OUT/initrd.gz" ] && [ "$(cat "$OUT/RECIPE" 2>/dev/null)" = "$RECIPE" ]; then
  echo "$OUT"; exit 0
fi

for t in apt-get apt-cache dpkg-deb cpio gzip busybox; do
  command -v "$t" >/dev/null || { echo "test-guest: missing $t (apt-get install busybox-static cpio)" >&2; exit 1; }
done
BUSYBOX="$(command -v busybox)"
file -L "$BUSYBOX" 2>/dev/null | grep -q 'statically linked' || BUSYBOX=/bin/busybox

WORK="$(mktemp -d "${TMPDIR:-/tmp}/nova-guest.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

# The kernel package linux-image-cloud-amd64 currently points at.
KPKG="$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')"
if [ -z "$KPKG" ]; then
  echo "test-guest: apt does not know linux-image-cloud-amd64 (run apt-get update)" >&2; exit 1
fi
apt-get download -q "$KPKG" >/dev/null 2>&1 || { echo "test-guest: apt-get download $KPKG failed" >&2; exit 1; }
dpkg-deb -x ./*.deb kpkg
KVER="${KPKG#linux-image-}"
MODDIR="kpkg/lib/modules/$KVER/kernel"

mkdir -p root/{bin,sbin,etc/acpi/PWRF,proc,sys,dev,tmp,lib/modules,usr/bin,usr/sbin,run}
cp "$BUSYBOX" root/bin/busybox
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk \
         failover net_failover virtio_net virtio_balloon button evdev; do
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
echo "nova-guest: init ready"
acpid -c /etc/acpi -l /tmp/acpid.log
if [ -e /sys/class/net/eth0 ]; then
  ip link set eth0 up
  udhcpc -i eth0 -s /etc/udhcpc.sh -t 5 -T 1 -n -q >/dev/null 2>&1 &
fi
for d in /sys/block/vd*; do [ -e "$d" ] && echo "nova-disk: ${d##*/}"; done
i=0
while true; do
  echo "nova-counter $i"
  i=$((i+1))
  sleep 1
done
INIT
chmod +x root/init

# busybox acpid runs ./PWRF/00000080 (relative to -c) for the power button.
cat > root/etc/acpi/PWRF/00000080 <<'PWR'
#!/bin/sh
echo "nova-guest: acpi power button, powering off" > /dev/ttyS0
sync
poweroff -f
PWR
chmod +x root/etc/acpi/PWRF/00000080

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
