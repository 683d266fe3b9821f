#!/usr/bin/env bash
# Builds the one-shot GPU check: one self-extracting file for a GPU machine that has no network
# and no Node.js. It carries this machine's Node.js binary, tts-critic's runtime dependencies
# (onnxruntime-node for linux-x64 only), dist/, the check (check.mjs, run.sh, the corpus
# generator, the PyTorch reference and its spec writer) and the Vulkan loader's .deb files
# from apt. Prints its size.
#
#   bash bench/gpu-check/bundle.sh [OUTPUT]      (default build/tts-critic-gpu-check.run)
#
# There:  bash tts-critic-gpu-check.run          (see run.sh; e.g. PAIRS=32 BATCHES=1,8,32,auto)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
out=$(realpath -m "${1:-$repo/build/tts-critic-gpu-check.run}")
limit=$((60 * 1024 * 1024))

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
stage=$work/tts-critic-gpu-check
mkdir -p "$stage/bench/gpu-check" "$stage/debs" "$(dirname "$out")"

cd "$repo"
npm run --silent build
# The Node.js running this script; without symbols (about 12% smaller, the same program).
node_bin=$(command -v node)
if command -v strip >/dev/null; then strip -o "$stage/node" "$node_bin"; else cp "$node_bin" "$stage/node"; fi
cp package.json "$stage/"
cp -r bin dist "$stage/"
cp bench/speech.mjs bench/torch-spec.mjs bench/pytorch_reference.py "$stage/bench/"
cp bench/gpu-check/check.mjs bench/gpu-check/run.sh "$stage/bench/gpu-check/"
# Runtime dependencies, as installed from the lockfile (npm lists every package's folder).
npm ls --omit=dev --all --parseable | tail -n +2 | while read -r dir; do
  rel=${dir#"$repo"/}
  mkdir -p "$stage/$(dirname "$rel")"
  cp -r "$dir" "$stage/$rel"
done
ort="$stage/node_modules/onnxruntime-node/bin/napi-v6"
find "$ort" -mindepth 2 -maxdepth 2 -type d ! -path "$ort/linux/x64" -exec rm -rf {} +
find "$ort" -mindepth 1 -maxdepth 1 -type d ! -name linux -exec rm -rf {} +
# The Vulkan loader, installed there into a folder of the bundle (no root, no network).
(cd "$stage/debs" && apt-get download -q libvulkan1 2>/dev/null)
ls "$stage"/debs/libvulkan1_*.deb >/dev/null

{
  cat <<'HEADER'
#!/usr/bin/env bash
# tts-critic's one-shot GPU check (bench/gpu-check in the repository): unpacks itself into
# $GPU_CHECK_DIR (default: a new temp folder) and runs run.sh there. Environment: see run.sh.
set -euo pipefail
dir=${GPU_CHECK_DIR:-$(mktemp -d)}
mkdir -p "$dir"
line=$(awk '/^__PAYLOAD__$/ { print NR + 1; exit }' "$0")
tail -n +"$line" "$0" | tar -xzf - -C "$dir"
exec bash "$dir/tts-critic-gpu-check/bench/gpu-check/run.sh" "$@"
__PAYLOAD__
HEADER
  tar -C "$work" -cf - tts-critic-gpu-check | gzip -9
} >"$out"
chmod +x "$out"

size=$(stat -c %s "$out")
printf '%s: %s MiB (%d bytes; limit 60 MiB)\n' "$out" "$(awk -v s="$size" 'BEGIN { printf "%.1f", s / 1048576 }')" "$size"
[ "$size" -lt "$limit" ] || { echo "bundle.sh: the bundle is over 60 MiB" >&2; exit 1; }
