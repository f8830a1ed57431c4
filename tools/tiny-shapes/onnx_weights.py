"""Weights of a shipped ONNX file back into the PyTorch module it was exported from.

The training checkpoints are not kept in the repository (only the ONNX files are the product),
so continuing from the shipped model means reading its initializers. torch.onnx.export renames
most of them ("onnx::MatMul_812") and folds constants (a Linear's weight is stored transposed
for MatMul, a GroupNorm's weight as [C,1,1] for Mul), and the graph uses parameters in forward
order, not in registration order. So the module is exported once more, here, with the same
export function and every parameter filled with its own marker value (MARK + k): the marker says
which parameter each initializer of that graph came from and in what layout, and the shipped
graph, exported by the same code, holds its weights at the same positions. The filled module is
exported again and must give back exactly the shipped weights.
"""
import os
import tempfile

import numpy as np
import onnx
import torch
from onnx import numpy_helper

# Far from any constant the exporter makes (ones, zeros, 1/sqrt(d)), exact in float32.
MARK = 7000.25


def _weights_in_use_order(path):
    """(array, consuming op) for float initializers and Constant tensors of more than one
    element, in first-use order."""
    graph = onnx.load(path).graph
    tensors = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    for node in graph.node:
        if node.op_type == "Constant":
            for a in node.attribute:
                if a.name == "value":
                    tensors[node.output[0]] = numpy_helper.to_array(a.t)
    seen, out = set(), []
    for node in graph.node:
        for name in node.input:
            if name in tensors and name not in seen:
                seen.add(name)
                arr = tensors[name]
                if arr.dtype == np.float32 and arr.size > 1:
                    out.append((arr, node.op_type))
    return out


def load_onnx_weights(module: torch.nn.Module, path: str, export_fn, text_len=None):
    """Fills `module`'s parameters from the ONNX file `path`, which `export_fn(module, file,
    text_len)` wrote from a module of the same architecture. Raises on any mismatch."""
    params = list(module.parameters())
    saved = [p.detach().clone() for p in params]
    with torch.no_grad():
        for k, p in enumerate(params):
            p.fill_(MARK + k)
        with tempfile.TemporaryDirectory() as tmp:
            probe_file = os.path.join(tmp, "probe.onnx")
            export_fn(module, probe_file, text_len)
            probe = _weights_in_use_order(probe_file)
        for p, s in zip(params, saved):
            p.copy_(s)
        shipped = _weights_in_use_order(path)
        if len(probe) != len(shipped):
            raise ValueError(f"{path}: {len(shipped)} weight tensors, the same export of this module has {len(probe)}")
        filled = set()
        for (mark, op), (arr, _) in zip(probe, shipped):
            if mark.shape != arr.shape:
                raise ValueError(f"{path}: a weight of shape {list(arr.shape)} where this module has {list(mark.shape)}")
            values = np.unique(mark)
            k = float(values[0]) - MARK
            if len(values) != 1 or k != round(k) or not 0 <= k < len(params):
                continue  # a constant the exporter made (ones, zeros, folded arithmetic), not a parameter
            k = int(k)
            p = params[k]
            # A Linear on 3-D input exports as MatMul with W^T (Gemm keeps W, transB=1).
            a = arr.T if op == "MatMul" and arr.ndim == 2 else arr
            if a.size != p.numel() or (a.ndim == 2 and a.shape != tuple(p.shape)):
                raise ValueError(f"{path}: weight {list(arr.shape)} ({op}) does not fit parameter {k} {list(p.shape)}")
            p.copy_(torch.from_numpy(np.ascontiguousarray(a)).reshape(p.shape))
            filled.add(k)
        missing = [n for k, (n, _) in enumerate(module.named_parameters()) if k not in filled]
        if missing:
            raise ValueError(f"{path}: no weights found for {missing[:5]}{'…' if len(missing) > 5 else ''}")
        # Round trip: exporting the filled module must give back the shipped weights exactly (a
        # weight read in the wrong layout or into the wrong parameter comes back different).
        with tempfile.TemporaryDirectory() as tmp:
            again_file = os.path.join(tmp, "again.onnx")
            export_fn(module, again_file, text_len)
            again = _weights_in_use_order(again_file)
        worst = max(float(np.abs(a - b).max()) for (a, _), (b, _) in zip(again, shipped))
        if len(again) != len(shipped) or worst > 1e-6:
            raise ValueError(f"{path}: re-exported weights differ from the shipped ones (max {worst:g})")
    return module

