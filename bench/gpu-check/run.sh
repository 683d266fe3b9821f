#!/usr/bin/env bash
# Runs the GPU check inside the unpacked bundle (see bundle.sh): installs the carried Vulkan
# loader into the bundle (dpkg -x, no root, no network), makes the NVIDIA Vulkan driver visible
# when a container has its library but not its manifest, says what the machine has, then runs
# check.mjs with the bundle's Node.js. Environment: as check.mjs (FAMILIES, PAIRS, SECONDS,
# SEGMENT, BATCHES, CPU_THREADS, DEVICE, PYTHON, TORCH_DEVICE, TORCH).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
vulkan=$root/vulkan

# 1. The Vulkan loader (libvulkan.so.1), from the .deb files apt fetched where the bundle was made.
mkdir -p "$vulkan"
for deb in "$root"/debs/*.deb; do
  if command -v dpkg-deb >/dev/null; then
    dpkg-deb -x "$deb" "$vulkan"
  else
    # A .deb is an ar archive holding data.tar.*; without dpkg, take it apart by hand.
    (cd "$vulkan" && ar x "$deb" && tar -xf data.tar.* && rm -f data.tar.* control.tar.* debian-binary)
  fi
done
loader=$(find "$vulkan" -name 'libvulkan.so.1' -print -quit)
[ -n "$loader" ] || { echo "gpu-check: no libvulkan.so.1 in the carried packages" >&2; exit 1; }
export LD_LIBRARY_PATH="$(dirname "$loader")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
echo "Vulkan loader: $(basename "$(readlink -f "$loader")") from $(basename "$root"/debs/*.deb)"

# 2. Vulkan drivers. NVIDIA containers often mount libGLX_nvidia.so.0 (whose Vulkan entry point
#    the NVIDIA manifest names) without the manifest itself: write one into the bundle.
manifests=$(ls /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json 2>/dev/null || true)
echo "Vulkan driver manifests: ${manifests:-none}" | tr '\n' ' '; echo
if ! grep -qs nvidia <<<"$manifests"; then
  glx=$(ldconfig -p 2>/dev/null | awk '/libGLX_nvidia\.so\.0/ { print $NF; exit }')
  if [ -n "$glx" ]; then
    mkdir -p "$vulkan/icd.d"
    printf '{ "file_format_version": "1.0.0", "ICD": { "library_path": "%s", "api_version": "1.3.0" } }\n' "$glx" >"$vulkan/icd.d/nvidia_icd.json"
    export VK_ADD_DRIVER_FILES="$vulkan/icd.d/nvidia_icd.json${VK_ADD_DRIVER_FILES:+:$VK_ADD_DRIVER_FILES}"
    echo "NVIDIA Vulkan driver: no manifest, so one was written for $glx"
  fi
fi
if command -v nvidia-smi >/dev/null; then nvidia-smi -L || true; else echo "nvidia-smi: not found"; fi

# 3. The check, with the bundle's Node.js.
cd "$root"
exec "$root/node" bench/gpu-check/check.mjs
