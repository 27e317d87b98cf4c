#!/usr/bin/env bash
# Renders resources/icons/nova.svg to the PNG sizes desktops and electron-builder use, with the
# Chromium already needed for the UI (no ImageMagick/Inkscape required).
set -euo pipefail
cd "$(dirname "$0")/../../resources/icons"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cp nova.svg "$tmp/nova.svg"
for s in 16 32 48 64 128 256 512; do
  printf '<html><body style="margin:0;background:transparent"><img src="nova.svg" style="width:%spx;height:%spx;display:block"></body></html>' "$s" "$s" > "$tmp/icon.html"
  chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --default-background-color=00000000 \
    --window-size="$s,$s" --screenshot="$PWD/${s}x${s}.png" "file://$tmp/icon.html" >/dev/null 2>&1
done
ls -1 ./*.png
