#!/usr/bin/python3
"""Converts an ONNX graph with bfloat16 weights and/or inputs/outputs into float16.

onnxruntime-node has no bfloat16 tensor type, so a bf16 FLUX.1 export cannot be fed from Node
(the pipeline refuses it at load). This rewrites, in one pass:
  - initializers (inline or in external data files) and Constant nodes: bf16 → fp16
  - graph inputs, outputs and value_info declared bf16 → fp16
  - Cast nodes with to=BFLOAT16 → to=FLOAT16 (and CastLike targets follow their input)
Values outside fp16's range (|x| > 65504) are clamped to ±65504 and counted: bf16 has fp32's
exponent range, fp16 does not, so the script reports how many weights it had to clamp (FLUX.1
weights are well inside it; a large count means the model needs fp32 instead).

    /usr/bin/python3 tools/convert/bf16_to_fp16.py IN.onnx OUT.onnx [--external-data NAME]

With --external-data (default: on when the input has external data), weights are written to
NAME next to OUT.onnx, as the published exports lay them out; graphs over 2 GB must use it.
Needs numpy and onnx (Debian's python3-onnx works); no torch, no onnxruntime.
"""
import argparse
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, external_data_helper, numpy_helper

FP16_MAX = 65504.0


def bf16_bits_to_fp32(bits):
    """bfloat16 bit patterns (uint16) → float32 values (exact: bf16 is fp32's upper half)."""
    return (bits.astype(np.uint32) << 16).view(np.float32)


def bf16_tensor_values(t):
    if t.raw_data:
        bits = np.frombuffer(t.raw_data, dtype=np.uint16)
    else:  # int32_data holds one bf16 pattern per element
        bits = np.asarray(t.int32_data, dtype=np.uint32).astype(np.uint16)
    return bf16_bits_to_fp32(bits).reshape(tuple(t.dims))


class Stats:
    def __init__(self):
        self.tensors = 0
        self.clamped = 0
        self.casts = 0
        self.declared = 0


def to_fp16(values, stats):
    over = np.abs(values) > FP16_MAX
    stats.clamped += int(np.count_nonzero(over & np.isfinite(values)))
    return np.clip(values, -FP16_MAX, FP16_MAX).astype(np.float16)


def convert_tensor(t, stats):
    """Rewrites a bf16 TensorProto in place as fp16 (inline raw_data)."""
    if t.data_type != TensorProto.BFLOAT16:
        return
    half = to_fp16(bf16_tensor_values(t), stats)
    fresh = numpy_helper.from_array(half, t.name)
    t.CopyFrom(fresh)
    stats.tensors += 1


def convert_graph(graph, stats):
    for t in graph.initializer:
        convert_tensor(t, stats)
    for value in list(graph.input) + list(graph.output) + list(graph.value_info):
        tt = value.type.tensor_type
        if tt.elem_type == TensorProto.BFLOAT16:
            tt.elem_type = TensorProto.FLOAT16
            stats.declared += 1
    for node in graph.node:
        for attr in node.attribute:
            if node.op_type == 'Cast' and attr.name == 'to' and attr.i == TensorProto.BFLOAT16:
                attr.i = TensorProto.FLOAT16
                stats.casts += 1
            if attr.type == onnx.AttributeProto.TENSOR:
                convert_tensor(attr.t, stats)
            if attr.type == onnx.AttributeProto.GRAPH:  # If/Loop bodies
                convert_graph(attr.g, stats)
            for g in attr.graphs:
                convert_graph(g, stats)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('input')
    ap.add_argument('output')
    ap.add_argument('--external-data', help='file name for the weights, next to OUTPUT')
    args = ap.parse_args(argv)

    # loads external data too (relative to the input's folder)
    model = onnx.load(args.input, load_external_data=True)
    had_external = any(t.data_location == TensorProto.EXTERNAL for t in onnx.load(args.input, load_external_data=False).graph.initializer)
    stats = Stats()
    convert_graph(model.graph, stats)
    if stats.tensors + stats.declared + stats.casts == 0:
        print(f'{args.input}: no bfloat16 tensors, inputs or casts; nothing to convert', file=sys.stderr)
        return 2

    external = args.external_data or (os.path.basename(args.output) + '_data' if had_external else None)
    out_dir = os.path.dirname(os.path.abspath(args.output))
    os.makedirs(out_dir, exist_ok=True)
    if external:
        target = os.path.join(out_dir, external)
        if os.path.exists(target):
            os.remove(target)  # convert appends to an existing file
        onnx.save_model(model, args.output, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=external, size_threshold=1024)
    else:
        onnx.save(model, args.output)
    onnx.checker.check_model(args.output)
    print(f'{args.output}: {stats.tensors} weight tensors, {stats.declared} inputs/outputs/values and '
          f'{stats.casts} casts bf16 → fp16; {stats.clamped} weights clamped to ±{FP16_MAX:g}'
          + (f'; weights over 1 KiB in {external}' if external and os.path.exists(os.path.join(out_dir, external)) else ''))
    return 0


if __name__ == '__main__':
    sys.exit(main())
