#!/usr/bin/env bash
# Train tiny-shapes v2 on the GPU machine (DEVELOPERS.md: PyTorch 2.11 + CUDA, no Node), through
# the session's `run` tool, from the repository root:
#   run: bash tools/tiny-shapes/device-train.sh   (timeout_s 600)
# It fine-tunes the shipped model for MINUTES of wall time (default 7) with big batches, then
# copies the checkpoint to $OUT. Export on the CPU machine with torch 1.13's exporter (the one
# the shipped ONNX files were made with):
#   cp <files_at>/flow-*.pt tools/tiny-shapes/checkpoints/
#   /usr/bin/python3 tools/tiny-shapes/train.py --init-from models/tiny-shapes --out /tmp/v2 \
#       --resume --flow-steps <step it printed> --seed <SEED>
# RECIPE=slots runs the slot-conditioning recipe instead (train_slots.py: parser, then the image
# model on ground-truth slots); export here with
#   cp <files_at>/slots-*.pt tools/tiny-shapes/checkpoints/
#   /usr/bin/python3 tools/tiny-shapes/train_slots.py export --seed <SEED> --out /tmp/slots/tiny-shapes
set -euo pipefail
cd "$(dirname "$0")"
MINUTES=${MINUTES:-7}
STEPS=${STEPS:-30000}
SEED=${SEED:-20261202}
OUT=${OUT:-/tmp/out}
nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv || true
python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())"
stop_at=$(( $(date +%s) + MINUTES * 60 ))
if [ "${RECIPE:-v2}" = slots ]; then
  python3 train_slots.py parser --device cuda --seed "$SEED" --parser-steps 4000 2>&1 | tee "$OUT/parser.log"
  python3 train_slots.py flow --device cuda --init-from ../../models/tiny-shapes --seed "$SEED" \
    --flow-steps "$STEPS" --batch 96 --lr 1e-3 --threads 8 --save-every 1000 --check-every 5000 \
    --stop-at "$stop_at" 2>&1 | grep -v Warning | tee "$OUT/flow.log"
  cp checkpoints/slots-*-"$SEED".pt "$OUT/"
  exit 0
fi
python3 train.py --device cuda --init-from ../../models/tiny-shapes --out "$OUT/v2" --seed "$SEED" \
  --flow-steps "$STEPS" --batch 96 --lr 1e-3 --threads 8 --save-every 1000 --check-every 5000 \
  --stop-at "$stop_at" --skip-export 2>&1 | grep -v Warning | tee "$OUT/train.log"
cp checkpoints/flow-"$SEED".pt "$OUT/"
