#!/usr/bin/env bash
# Build KV Chat for Linux: the one-folder app, a .deb and a .tar.gz (with install.sh for ~/.local).
#   packaging/linux/build.sh            -> build/dist/kvchat/, build/kvchat_<version>_<arch>.deb,
#                                          build/kvchat-<version>-linux-<machine>.tar.gz
# Run it from the project's environment (pip install -e ".[package]" and the starter model).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
python=${PYTHON:-python}
app_id=$("$python" -c "from app.paths import APP_ID; print(APP_ID)")
version=$("$python" -c "import app; print(app.__version__)")
arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
machine=$(uname -m)
glibc=$(ldd --version | awk 'NR == 1 {print $NF}')  # the bundle needs at least the builder's glibc

echo "== one-folder app"
"$python" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath build/dist --workpath build/work packaging/kvchat.spec
app_dir=build/dist/kvchat

install_icons() {  # $1: the share/ folder to fill
  for size in 256 512; do
    install -Dm644 resources/icons/kvchat-$size.png "$1/icons/hicolor/${size}x${size}/apps/$app_id.png"
  done
  install -Dm644 resources/icons/kvchat.svg "$1/icons/hicolor/scalable/apps/$app_id.svg"
}

echo "== .deb"
stage=build/deb/kvchat_${version}_${arch}
rm -rf "$stage"
mkdir -p "$stage/DEBIAN" "$stage/opt" "$stage/usr/bin"
cp -a "$app_dir" "$stage/opt/kvchat"
ln -s /opt/kvchat/kvchat "$stage/usr/bin/kvchat"
install -Dm644 "resources/$app_id.desktop" "$stage/usr/share/applications/$app_id.desktop"
install_icons "$stage/usr/share"
find "$stage" -type d -exec chmod 755 {} +
size_kb=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
cat > "$stage/DEBIAN/control" <<CONTROL
Package: kvchat
Version: $version
Architecture: $arch
Maintainer: KV Chat developers <kvchat@users.noreply.github.com>
Installed-Size: $size_kb
Depends: libc6 (>= $glibc), libgl1, libegl1, libxcb1, libx11-6
Section: utils
Priority: optional
Homepage: https://github.com/kvchat/kvchat
Description: chat with local GGUF models and choose their KV-cache precision
 KV Chat runs GGUF language models locally with llama.cpp. It lets you set the
 precision of the attention cache (K and V separately) and the context length,
 and shows, exactly, how much memory that takes and saves. It includes a small
 starter model, so it works offline from the first launch.
CONTROL
deb=build/kvchat_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zgzip --build "$stage" "$deb" >/dev/null
echo "$deb"

echo "== .tar.gz"
name=kvchat-${version}-linux-${machine}
tree=build/tar/$name
rm -rf "build/tar"
mkdir -p "$tree"
cp -a "$app_dir" "$tree/kvchat"
cp "resources/$app_id.desktop" "$tree/"
cp resources/icons/kvchat-256.png "$tree/$app_id.png"
cp packaging/linux/install.sh "$tree/install.sh"
chmod 755 "$tree/install.sh"
tar -czf "build/$name.tar.gz" -C build/tar "$name"
echo "build/$name.tar.gz"
du -sh "$app_dir" "$deb" "build/$name.tar.gz"
