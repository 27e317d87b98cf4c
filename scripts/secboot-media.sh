#!/usr/bin/env bash
# Debian's signed boot chain for the Secure Boot test (src/core/vm/secboot.test.ts): the
# Microsoft-signed shim (shim-signed) and the Debian-signed monolithic GRUB
# (grub-efi-amd64-signed), fetched with `apt-get download` and unpacked with `dpkg-deb -x` — not
# installed: their maintainer scripts may run grub-install on the host, and the test needs only
# the two files. Output (cached, outside git): $NOVA_TEST_SECBOOT_DIR (default
# /var/cache/nova-test/secboot) with shimx64.efi.signed, grubx64.efi.signed, VERSION.
# Prints the directory on stdout. Idempotent; fast when cached.
set -euo pipefail

OUT="${NOVA_TEST_SECBOOT_DIR:-/var/cache/nova-test/secboot}"
mkdir -p "$OUT"
exec 9>"$OUT/.lock"
flock 9

if [ -s "$OUT/shimx64.efi.signed" ] && [ -s "$OUT/grubx64.efi.signed" ]; then
  echo "$OUT"; exit 0
fi
for t in apt-get dpkg-deb; do
  command -v "$t" >/dev/null || { echo "secboot-media: missing $t" >&2; exit 1; }
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/nova-secboot.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
chmod 755 "$WORK"  # apt's _apt user downloads into it
cd "$WORK"
apt-get download -q shim-signed grub-efi-amd64-signed >/dev/null 2>&1 || { echo "secboot-media: apt-get download shim-signed grub-efi-amd64-signed failed (apt-get update?)" >&2; exit 1; }
for d in ./*.deb; do dpkg-deb -x "$d" x; done
install -m 0644 x/usr/lib/shim/shimx64.efi.signed x/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed "$OUT/"
dpkg-deb -f ./shim-signed_*.deb Version > "$OUT/VERSION.tmp"
dpkg-deb -f ./grub-efi-amd64-signed_*.deb Version >> "$OUT/VERSION.tmp"
mv "$OUT/VERSION.tmp" "$OUT/VERSION"
echo "$OUT"
