#!/usr/bin/env bash
# The one GPU run of issue 17 (at most 10 minutes on the H200 machine). Prepare first, on the
# CPU machine: bench/gpu-prepare.sh (carried Node, onnxruntime-node, bundles, Vulkan loader).
# On the GPU machine, as the device tool's command (carry .gpu-carry and .gl):
#
#   for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig; bash bench/gpu.sh
#
# Stages, each bounded by `timeout`, each followed by a fresh report so a run cut short still
# returns what it measured:
#   1. environment: nvidia-smi, Node, torch/onnxruntime versions, Vulkan loader and ICDs
#   2. tools/flux-reference/build.py: FLUX.1 widths, fp16, variants d1s1, d2s1, d1s2 (the
#      differences give one double and one single block at 1024x1024)
#   3. bench/gpu-bench.ts through the farm's pipeline: tiny-shapes on CPU and WebGPU (batch 1
#      and 4), the reference variants on WebGPU at 1024x1024, 4 steps (device- vs
#      host-resident latents, batch 2 and 4, GPU memory from nvidia-smi)
#   4. bench/gpu-torch-blocks.py: the same blocks in PyTorch eager (fp16/bf16, with and
#      without flash attention), for comparison
# Writes to $OUT: gpu.md (→ docs/gpu.md), results.json, torch.json, env.txt, logs.
# CUDA in onnxruntime-node is not attempted: its provider libraries are CUDA 12 builds fetched
# from nuget at install time, which neither machine can reach; env.txt records what Python's
# onnxruntime offers there.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/flowfarm-gpu-out}
mkdir -p "$OUT"
W=/tmp/flowfarm-gpu
rm -rf "$W" && mkdir -p "$W/app/node_modules"
T0=$(date +%s)
elapsed() { echo $(( $(date +%s) - T0 )); }
say() { echo "[$(elapsed)s] $*" | tee -a "$OUT/run.log"; }

xz -dc .gpu-carry/node.xz > "$W/node" && chmod +x "$W/node"
tar -C "$W/app/node_modules" -xJf .gpu-carry/ort.tar.xz
cp .gpu-carry/gpu-bench.mjs .gpu-carry/gpu-report.mjs "$W/app/"
NODE="$W/node"
# Dawn finds the NVIDIA Vulkan driver through an ICD file; the driver's folder is a mount
if ! ls /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json >/dev/null 2>&1 \
  && [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
fi

report() {
  "$NODE" "$W/app/gpu-report.mjs" --results "$OUT/results.json" --torch "$OUT/torch.json" --env "$OUT/env.txt" > "$OUT/gpu.md" 2>> "$OUT/run.log"
}

say "1/4 environment"
{
  date -u
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
  echo "node $("$NODE" --version)"
  python3 -c "import torch, onnx; print('torch', torch.__version__, 'cuda', torch.version.cuda, '| onnx', onnx.__version__)"
  python3 -c "import onnxruntime as o; print('python onnxruntime', o.__version__, o.get_available_providers())" 2>&1 | tail -1
  echo "vulkan loader: $(ldconfig -p | grep -c libvulkan.so.1) copies; VK_DRIVER_FILES=${VK_DRIVER_FILES:-unset}"
  nproc | sed 's/^/cpus: /'
} > "$OUT/env.txt" 2>&1
cat "$OUT/env.txt"

say "2/4 reference model (fp16, d1s1 d2s1 d1s2)"
REF="$W/flux-ref"
timeout 200 python3 tools/flux-reference/build.py --out "$REF" --dtype fp16 --device cuda --variants 1x1,2x1,1x2 \
  --t5-length 512 --max-size 1024 > "$OUT/build.log" 2>&1 || say "reference build failed or timed out (see build.log)"
tail -5 "$OUT/build.log"
du -sh "$REF" 2>/dev/null | tee -a "$OUT/run.log"

say "3/4 pipeline on the GPU (node)"
BUDGET=$(( 430 - $(elapsed) ))
[ -f "$REF/reference.json" ] && REFARG=(--ref "$REF") || REFARG=()
timeout $(( BUDGET + 30 )) "$NODE" "$W/app/gpu-bench.mjs" --tiny models/tiny-shapes "${REFARG[@]}" \
  --providers webgpu --budget-s "$BUDGET" --out "$OUT/results.json" > "$OUT/bench.log" 2>&1 || say "node bench exited $?"
grep -v '^\s*$' "$OUT/bench.log" | tail -15
report

say "4/4 pytorch eager blocks"
timeout $(( 560 - $(elapsed) > 20 ? 560 - $(elapsed) : 20 )) python3 bench/gpu-torch-blocks.py --out "$OUT/torch.json" > "$OUT/torch.log" 2>&1 \
  || say "torch blocks exited $?"
tail -6 "$OUT/torch.log"
report
say "done; $OUT/gpu.md"
