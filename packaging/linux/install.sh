#!/usr/bin/env bash
# Install KV Chat for this user (no root): the app into ~/.local/opt/kvchat, `kvchat` into
# ~/.local/bin, and a menu entry with its icon.   ./install.sh            install or update
#                                                 ./install.sh --uninstall
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
app_id=io.github.kvchat.KVChat
data="${XDG_DATA_HOME:-$HOME/.local/share}"
opt="$HOME/.local/opt/kvchat"
bin="$HOME/.local/bin"

if [ "${1:-}" = "--uninstall" ]; then
  rm -rf "$opt" "$bin/kvchat" "$data/applications/$app_id.desktop" "$data/icons/hicolor/256x256/apps/$app_id.png"
  echo "KV Chat removed (your conversations and settings are kept)."
  exit 0
fi

rm -rf "$opt"
mkdir -p "$(dirname "$opt")" "$bin" "$data/applications" "$data/icons/hicolor/256x256/apps"
cp -a "$here/kvchat" "$opt"
ln -sf "$opt/kvchat" "$bin/kvchat"
sed -e "s|^Exec=kvchat|Exec=$opt/kvchat|" -e "s|^TryExec=kvchat|TryExec=$opt/kvchat|" \
  "$here/$app_id.desktop" > "$data/applications/$app_id.desktop"
cp "$here/$app_id.png" "$data/icons/hicolor/256x256/apps/$app_id.png"
command -v update-desktop-database >/dev/null && update-desktop-database -q "$data/applications" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$data/icons/hicolor" || true
echo "KV Chat installed: run 'kvchat' or find it in your applications menu."
case ":$PATH:" in *":$bin:"*) ;; *) echo "(add $bin to your PATH to run 'kvchat' from a terminal)";; esac
