#!/usr/bin/env bash
# Wrap dist/KV Chat.app (from `pyinstaller packaging/kvchat.spec`) into a drag-to-Applications .dmg.
#   packaging/macos/make_dmg.sh   ->  build/kvchat-<version>-macos-<arch>.dmg
# Signs the app first when MACOS_CODESIGN_IDENTITY is set (notarize the .dmg afterwards).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
python=${PYTHON:-python}
version=$("$python" -c "import app; print(app.__version__)")
app="build/dist/KV Chat.app"
[ -d "$app" ] || { echo "missing $app: run pyinstaller first" >&2; exit 1; }
if [ -n "${MACOS_CODESIGN_IDENTITY:-}" ]; then
  codesign --deep --force --options runtime --timestamp --sign "$MACOS_CODESIGN_IDENTITY" "$app"
fi
stage=build/dmg
rm -rf "$stage"
mkdir -p "$stage"
ditto "$app" "$stage/KV Chat.app"   # ditto keeps the bundle's symlinks
ln -s /Applications "$stage/Applications"
dmg="build/kvchat-${version}-macos-$(uname -m).dmg"
hdiutil create -volname "KV Chat" -srcfolder "$stage" -ov -format UDZO "$dmg"
echo "$dmg"
