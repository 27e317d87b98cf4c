#!/bin/bash
# Package post-install (deb and pacman), expanded by electron-builder: ${sanitizedProductName} and
# ${executable} are its macros, so shell variables below use the $NAME form only.
# NOVA_PKG_ROOT lets the packaging test run this script against a throwaway root.
root="$NOVA_PKG_ROOT"
app="$root/opt/${sanitizedProductName}"

mkdir -p "$root/usr/bin" "$root/usr/share/metainfo"

# `nova` on PATH is the command line; the desktop app is `${executable}`. The command line is the
# native launcher (out/native/nova, native/launcher.c): the hot lifecycle verbs go to a running
# engine's local socket, everything else runs resources/cli/nova.mjs on the system's Node. The
# shell script resources/bin/nova (Node only) when a package has no launcher.
cli=resources/bin/nova
if [ -x "$app/resources/native/nova" ]; then cli=resources/native/nova; fi
ln -sf "/opt/${sanitizedProductName}/$cli" "$root/usr/bin/nova"
ln -sf "/opt/${sanitizedProductName}/${executable}" "$root/usr/bin/${executable}"

# The units (boot-time hydrate, the socket-activated privileged helper), the polkit actions and
# /usr/lib/sysusers.d/nova.conf are package files (electron-builder.json `fpm`), not copied here.
# pacman's systemd hook creates the accounts; on Debian this does.
if [ -z "$root" ] && command -v systemd-sysusers >/dev/null 2>&1; then
  systemd-sysusers /usr/lib/sysusers.d/nova.conf || true
fi
# AppStream metadata: software centres list Nova under its app id (org.nova.Nova).
install -m 0644 "$app/resources/metainfo/org.nova.Nova.metainfo.xml" "$root/usr/share/metainfo/org.nova.Nova.metainfo.xml"

# Chromium's sandbox: user namespaces when the kernel allows them, the SUID helper otherwise.
if [ -e "$app/chrome-sandbox" ]; then
  if [[ -L /proc/self/ns/user ]] && unshare --user true 2>/dev/null; then
    chmod 0755 "$app/chrome-sandbox" || true
  else
    chmod 4755 "$app/chrome-sandbox" || true
  fi
fi

if [ -z "$root" ]; then
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    systemctl daemon-reload || true
    # Enabled, not started: it runs at the next boot, and only if networks were declared.
    systemctl enable nova-hydrate.service || true
    # Enabled, not started: at boot it starts the guests marked autostart (none unless set), at
    # shutdown it stops running guests cleanly before the host goes down.
    systemctl enable nova-guests.service || true
    # The desktop user's Nova reaches root-only steps through it (docs/privilege.md).
    systemctl enable --now nova-privd.socket || true
  fi
  if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database /usr/share/applications || true
  fi
  if command -v gtk-update-icon-cache >/dev/null 2>&1; then
    gtk-update-icon-cache -q -t -f /usr/share/icons/hicolor || true
  fi
fi
exit 0
