#!/usr/bin/python3
"""Writes a small bf16 graph for tools/convert's test (test/tools/convert.test.ts):

    /usr/bin/python3 tools/convert/make_bf16_example.py OUTDIR

OUTDIR/bf16.onnx + OUTDIR/bf16.onnx_data (weights external, like the published exports):
    y = Cast(Tanh(MatMul(x, W) + b) * 2, to=bfloat16)    x, y: bfloat16 [B, 32]; W is 2 KB, so it stays external after conversion
plus one weight outside fp16's range (scale2 = 1e5, multiplied by 0 so the output stays finite)
and OUTDIR/expected.json: an input and the output computed in float32 from the bf16 values.
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper


def bf16_bits(values):
    """float32 → bfloat16 bit patterns, round to nearest even."""
    bits = np.asarray(values, dtype=np.float32).reshape(-1).view(np.uint32).astype(np.int64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return rounded.astype(np.uint16).reshape(np.shape(values))


def bf16_values(values):
    return (bf16_bits(values).astype(np.uint32) << 16).view(np.float32)


def bf16_tensor(name, values):
    values = np.asarray(values, dtype=np.float32)
    t = helper.make_tensor(name, TensorProto.BFLOAT16, values.shape, bf16_bits(values).tobytes(), raw=True)
    return t


def main(out):
    rng = np.random.default_rng(7)
    w = rng.normal(0, 0.5, (32, 32)).astype(np.float32)
    b = rng.normal(0, 0.1, (32,)).astype(np.float32)
    nodes = [
        helper.make_node('MatMul', ['x', 'W'], ['xw']),
        helper.make_node('Add', ['xw', 'b'], ['h']),
        helper.make_node('Tanh', ['h'], ['t']),
        helper.make_node('Mul', ['t', 'two'], ['t2']),
        helper.make_node('Mul', ['scale2', 'zero'], ['nothing']),  # 1e5 * 0: a weight fp16 cannot hold
        helper.make_node('Add', ['t2', 'nothing'], ['t3']),
        helper.make_node('Cast', ['t3'], ['y'], to=TensorProto.BFLOAT16),
    ]
    graph = helper.make_graph(
        nodes, 'bf16_example',
        [helper.make_tensor_value_info('x', TensorProto.BFLOAT16, ['B', 32])],
        [helper.make_tensor_value_info('y', TensorProto.BFLOAT16, ['B', 32])],
        [bf16_tensor('W', w), bf16_tensor('b', b), bf16_tensor('two', 2.0),
         bf16_tensor('scale2', 1e5), bf16_tensor('zero', 0.0)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 17)], producer_name='flowfarm-convert-test')
    model.ir_version = 8
    onnx.checker.check_model(model)
    os.makedirs(out, exist_ok=True)
    onnx.save_model(model, os.path.join(out, 'bf16.onnx'), save_as_external_data=True,
                    all_tensors_to_one_file=True, location='bf16.onnx_data', size_threshold=0)

    x = rng.normal(0, 1, (2, 32)).astype(np.float32)
    xb, wb, bb = bf16_values(x), bf16_values(w), bf16_values(b)
    y = np.tanh(xb @ wb + bb) * 2
    with open(os.path.join(out, 'expected.json'), 'w') as f:
        json.dump({'x': xb.ravel().tolist(), 'dims': [2, 32], 'y': y.ravel().tolist()}, f)
    print('wrote', out)


if __name__ == '__main__':
    main(sys.argv[1])
