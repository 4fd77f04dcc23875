#!/usr/bin/env bash
# Builds llama-cpp-python with llama.cpp's Vulkan backend into a wheel folder of its own, once,
# and prints the wheel's path. pip's own cache keys a built wheel on the version only, not on
# CMAKE_ARGS, so a Vulkan build there would be confused with the CPU one.
#
# Debian 12 and 13: the Vulkan loader, Mesa's software device (lavapipe) and glslc come from
# Debian; this llama.cpp needs Vulkan headers newer than Debian 12's 1.3.239 (vk::LayerSettingEXT)
# and SPIRV-Headers' CMake package, so Debian 13's libvulkan-dev and spirv-headers are fetched with
# apt-get download and unpacked into a private folder (nothing is installed system-wide from them).
set -euo pipefail

version=$(sed -n 's/.*"llama-cpp-python==\([0-9.]*\)".*/\1/p' "$(dirname "$0")/../pyproject.toml")
root=${KVCHAT_WHEEL_CACHE:-$HOME/.cache/kvchat/wheels}
wheel_dir="$root/vulkan-$version"
existing=$(ls "$wheel_dir"/llama_cpp_python-"$version"-*.whl 2>/dev/null | head -1 || true)
if [ -n "$existing" ]; then
  echo "$existing"
  exit 0
fi

sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
packages=(mesa-vulkan-drivers libvulkan1 glslc)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  $sudo_cmd apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >&2
fi

headers="$root/vulkan-headers"
if [ ! -f "$headers/usr/share/cmake/SPIRV-Headers/SPIRV-HeadersConfig.cmake" ] \
   || [ ! -f "$headers/usr/include/vulkan/vulkan_core.h" ]; then
  lists=$(mktemp -d)
  mkdir -p "$lists/lists/partial" "$headers"
  echo "deb http://deb.debian.org/debian trixie main" > "$lists/sources.list"
  apt_opts=(-o Dir::Etc::sourcelist="$lists/sources.list" -o Dir::Etc::sourceparts=- -o Dir::State::Lists="$lists/lists")
  apt-get "${apt_opts[@]}" update -qq >&2
  (cd "$lists" && apt-get "${apt_opts[@]}" download libvulkan-dev spirv-headers >&2)
  for deb in "$lists"/*.deb; do dpkg -x "$deb" "$headers"; done
  rm -rf "$lists"
fi
include_dir="$headers/usr/include"
loader=$(ls /usr/lib/*/libvulkan.so.1 | head -1)

mkdir -p "$wheel_dir"
echo "building llama-cpp-python $version with Vulkan (headers $include_dir) — 15-30 minutes" >&2
CMAKE_ARGS="-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF -DGGML_VULKAN=ON -DVulkan_INCLUDE_DIR=$include_dir -DVulkan_LIBRARY=$loader -DCMAKE_PREFIX_PATH=$headers/usr" \
  CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" \
  pip wheel --no-deps --no-cache-dir --no-binary llama-cpp-python "llama-cpp-python==$version" -w "$wheel_dir" >&2
ls "$wheel_dir"/llama_cpp_python-"$version"-*.whl | head -1
