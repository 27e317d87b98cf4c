#!/bin/bash
# Package post-remove (deb and pacman), expanded by electron-builder (see after-install.sh).
# Removes only what the install script added; VM, capsule and network state in /var/lib/nova stays.
root="$NOVA_PKG_ROOT"

if [ -z "$root" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  systemctl disable nova-hydrate.service nova-guests.service 2>/dev/null || true
  systemctl disable --now nova-privd.socket nova-privd.service 2>/dev/null || true
fi
for link in "$root/usr/bin/nova" "$root/usr/bin/${executable}"; do
  case "$(readlink "$link" 2>/dev/null)" in
    /opt/${sanitizedProductName}/*) rm -f "$link" ;;
  esac
done
# The units, the polkit policy and sysusers.d/nova.conf are package files: the package manager
# removes them (deleting them here would also delete them on an upgrade).
rm -f "$root/usr/share/metainfo/org.nova.Nova.metainfo.xml"
if [ -z "$root" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  systemctl daemon-reload || true
fi
exit 0
