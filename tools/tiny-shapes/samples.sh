#!/usr/bin/env bash
# Renders docs/samples.png: a row of prompts through `flowfarm generate`, upscaled 4x.
# Needs Debian's python3-pil for the montage (tools only; the farm never needs Python).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(mktemp -d)
prompts=(
  "a small green triangle at the bottom right on a white background"
  "a large red circle in the center on a blue background"
  "blue background with a small yellow triangle in the center"
  "at the top left, the purple square, large, on a yellow background"
  "a small black circle on the right on an orange background"
  "a red circle"
  "a small red circle on the left and a large blue square on the right"
  "two small yellow triangles at the top left and bottom right on a purple background"
)
for i in "${!prompts[@]}"; do
  ./apps/cli/bin/flowfarm.js generate "${prompts[$i]}" --seed 7 --out "$out/$i.png" --json >/dev/null
done
/usr/bin/python3 - "$out" "${#prompts[@]}" <<'PY'
import sys
from PIL import Image
folder, n = sys.argv[1], int(sys.argv[2])
size, gap = 192, 8
sheet = Image.new("RGB", (n * size + (n - 1) * gap, size), (255, 255, 255))
for i in range(n):
    img = Image.open(f"{folder}/{i}.png").convert("RGB").resize((size, size), Image.NEAREST)
    sheet.paste(img, (i * (size + gap), 0))
sheet.save("docs/samples.png")
PY
echo "wrote docs/samples.png"
