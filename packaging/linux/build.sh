#!/usr/bin/env bash
# Build KV Chat for Linux: the one-folder app, a .deb and a .tar.gz (with install.sh for ~/.local).
#   packaging/linux/build.sh            -> build/dist/kvchat/, build/kvchat_<version>_<arch>.deb,
#                                          build/kvchat-<version>-linux-<machine>.tar.gz
#   packaging/linux/build.sh vulkan     -> the same app, build/kvchat-vulkan_<version>_<arch>.deb,
#                                          build/kvchat-<version>-linux-<machine>-vulkan.tar.gz
#   packaging/linux/build.sh --names [VARIANT]   only prints the .deb and .tar.gz paths
# The variant (an argument, or KVCHAT_VARIANT) only names the outputs: the app ships whichever
# llama.cpp backends the environment's llama-cpp-python was built with (cpu, the default, keeps
# the plain names). Run it from the project's environment (pip install -e ".[package]" and the
# starter model).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
python=${PYTHON:-python}
names_only=false
if [ "${1:-}" = --names ]; then
  names_only=true
  shift
fi
variant=${1:-${KVCHAT_VARIANT:-cpu}}
if ! [[ "$variant" =~ ^[a-z0-9]+$ ]]; then
  echo "variant must be lower-case letters and digits (cpu, vulkan, cuda, ...), not '$variant'" >&2
  exit 2
fi
package=kvchat
suffix=""
depends=""
if [ "$variant" != cpu ]; then
  package=kvchat-$variant
  suffix=-$variant
fi
case "$variant" in
  vulkan) depends=", libvulkan1" ;;  # the bundle leaves the Vulkan loader to the system
esac
app_id=$("$python" -c "from app.core.paths import APP_ID; print(APP_ID)")
version=$("$python" -c "import app; print(app.__version__)")
arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
machine=$(uname -m)
glibc=$(ldd --version | awk 'NR == 1 {print $NF}')  # the bundle needs at least the builder's glibc
deb=build/${package}_${version}_${arch}.deb
name=kvchat-${version}-linux-${machine}${suffix}
if $names_only; then
  echo "$deb"
  echo "build/$name.tar.gz"
  exit 0
fi

echo "== one-folder app"
"$python" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath build/dist --workpath build/work packaging/kvchat.spec
app_dir=build/dist/kvchat
lib_dir=$app_dir/_internal/llama_cpp/lib
echo "llama.cpp backends: $(cd "$lib_dir" && ls libggml-*.so | grep -v -- -base | sed 's/^libggml-//; s/\.so$//' | xargs)"
case "$variant" in  # a GPU variant's name must match the backend the bundle carries
  vulkan|cuda|hip|musa|sycl|opencl)
    if [ ! -e "$lib_dir/libggml-$variant.so" ]; then
      echo "this llama-cpp-python has no $variant backend ($lib_dir/libggml-$variant.so): build it with that backend first" >&2
      exit 1
    fi ;;
esac

install_icons() {  # $1: the share/ folder to fill
  for size in 256 512; do
    install -Dm644 resources/icons/kvchat-$size.png "$1/icons/hicolor/${size}x${size}/apps/$app_id.png"
  done
  install -Dm644 resources/icons/kvchat.svg "$1/icons/hicolor/scalable/apps/$app_id.svg"
}

echo "== .deb"
stage=build/deb/${package}_${version}_${arch}
rm -rf "$stage"
mkdir -p "$stage/DEBIAN" "$stage/opt" "$stage/usr/bin"
cp -a "$app_dir" "$stage/opt/kvchat"
ln -s /opt/kvchat/kvchat "$stage/usr/bin/kvchat"
install -Dm644 "resources/$app_id.desktop" "$stage/usr/share/applications/$app_id.desktop"
install_icons "$stage/usr/share"
find "$stage" -type d -exec chmod 755 {} +
size_kb=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
if [ "$variant" = cpu ]; then
  relations=""
else  # one KV Chat at a time: every variant installs to /opt/kvchat
  relations="Provides: kvchat
Conflicts: kvchat
Replaces: kvchat
"
fi
cat > "$stage/DEBIAN/control" <<CONTROL
Package: $package
Version: $version
Architecture: $arch
Maintainer: KV Chat developers <kvchat@users.noreply.github.com>
Installed-Size: $size_kb
Depends: libc6 (>= $glibc), libgl1, libegl1, libxcb1, libx11-6$depends
${relations}Section: utils
Priority: optional
Homepage: https://github.com/kvchat/kvchat
Description: chat with local GGUF models and choose their KV-cache precision
 KV Chat runs GGUF language models locally with llama.cpp. It lets you set the
 precision of the attention cache (K and V separately) and the context length,
 and shows, exactly, how much memory that takes and saves. It includes a small
 starter model, so it works offline from the first launch.
CONTROL
dpkg-deb --root-owner-group -Zgzip --build "$stage" "$deb" >/dev/null
echo "$deb"

echo "== .tar.gz"
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
