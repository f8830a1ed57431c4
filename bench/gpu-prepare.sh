#!/usr/bin/env bash
# Prepares, on the CPU machine, what bench/gpu.sh needs on the GPU machine (which has Python,
# PyTorch and the NVIDIA driver, but no Node and nothing to download from):
#
#   .gpu-carry/node.xz           this machine's Node 20, stripped and compressed
#   .gpu-carry/ort.tar.xz        node_modules/onnxruntime-node (Linux x64 only) + onnxruntime-common, sharp
#   .gpu-carry/gpu-bench.mjs     bench/gpu-bench.ts bundled with the pipeline (esbuild)
#   .gpu-carry/gpu-report.mjs    bench/gpu-report.ts bundled
#   .gl/*.deb                    the Vulkan loader (libvulkan1) Dawn needs for WebGPU
#
# Run from the repository root of the checkout the device run sends (the session's own
# checkout), then run the device command printed at the end. Both folders are git-ignored;
# together with the tracked files they must stay under the device tool's 64 MiB.
set -euo pipefail
cd "$(dirname "$0")/.."
C=.gpu-carry
mkdir -p "$C"
rm -f "$C"/*.mjs "$C/ort.tar.xz"

echo "node $(node --version) (x86-64: $(uname -m))"
if [ ! -f "$C/node.xz" ] || [ "$(cat "$C/node.version" 2>/dev/null)" != "$(node --version)" ]; then
  strip -o "$C/node" "$(command -v node)"
  xz -6 -T2 -f "$C/node"
  node --version > "$C/node.version"
fi

# native packages stay outside the bundle: onnxruntime-node (Linux x64 only) and sharp (the
# pipeline's output formats) with its libvips and small JavaScript dependencies
tar -C node_modules -cJf "$C/ort.tar.xz" \
  onnxruntime-node/package.json onnxruntime-node/dist onnxruntime-node/bin/napi-v6/linux/x64 onnxruntime-common \
  sharp @img/colour @img/sharp-linux-x64 @img/sharp-libvips-linux-x64 detect-libc semver

for name in gpu-bench gpu-report; do
  # ESM bundle; CommonJS dependencies get a require() through createRequire
  npx esbuild "bench/$name.ts" --bundle --platform=node --format=esm --target=node20 \
    --external:onnxruntime-node --external:sharp --outfile="$C/$name.mjs" --log-level=warning \
    --banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);"
done

if [ ! -d .gl ] || ! ls .gl/libvulkan1_*.deb >/dev/null 2>&1; then
  mkdir -p .gl /tmp/amd64/partial
  o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
  apt-get $o update -qq
  (cd .gl && apt-get $o download libvulkan1)
fi

du -ch "$C"/* .gl/* | tail -1
tracked=$(git ls-files -z | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1)
carried=$(du -cb "$C" .gl | tail -1 | cut -f1)
echo "tracked files $((tracked / 1048576)) MiB + carried $((carried / 1048576)) MiB (limit 64 MiB)"
cat <<'EOF'
device run (carry [".gpu-carry", ".gl"], timeout_s 600):
  for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig; bash bench/gpu.sh
then copy the returned gpu.md to docs/gpu.md and commit it with the run's date.
EOF
