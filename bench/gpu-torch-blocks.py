#!/usr/bin/env python3
"""PyTorch eager timing of the reference model's blocks at FLUX.1 sizes, for bench/gpu.sh.

    python3 bench/gpu-torch-blocks.py --out torch.json

Not the farm's pipeline: the same architecture (tools/flux-reference/flux_model.py) run by
PyTorch on the GPU, once with its matmul+softmax attention and once with
scaled_dot_product_attention (flash attention), in fp16 and bf16, at 1024x1024 (4,096 image
tokens + 512 text tokens). It says how far the ONNX path is from what the GPU does with the
same graph, and what the 19 + 38 block extrapolation gives under the best attention kernel.
"""
import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tools', 'flux-reference'))
import flux_model  # noqa: E402
from flux_model import DoubleStreamBlock, FluxConfig, SingleStreamBlock, rope  # noqa: E402


def sdpa_attention(q, k, v, pe):
    q, k = flux_model.apply_rope(q, pe), flux_model.apply_rope(k, pe)
    x = torch.nn.functional.scaled_dot_product_attention(q, k, v)
    b, h, l, d = x.shape
    return x.transpose(1, 2).reshape(b, l, h * d)


def bench(fn, warm=3, runs=10):
    for _ in range(warm):
        fn()
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    times = []
    for _ in range(runs):
        start.record()
        fn()
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end))
    return sorted(times)[len(times) // 2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', required=True)
    ap.add_argument('--batch', type=int, default=1)
    args = ap.parse_args()
    cfg = FluxConfig()
    S, L, B = 4096, 512, args.batch
    dev = torch.device('cuda')
    ids = torch.cat([torch.zeros(L, 3), torch.stack(torch.meshgrid(torch.zeros(1), torch.arange(64.), torch.arange(64.), indexing='ij'), -1).reshape(-1, 3)]).to(dev)
    pe = torch.cat([rope(ids[:, i], cfg.axes_dim[i], cfg.theta) for i in range(3)], dim=-3)
    out = {'device': torch.cuda.get_device_name(), 'torch': torch.__version__, 'tokens': {'image': S, 'text': L}, 'batch': B, 'rows': []}
    original = flux_model.attention
    for dtype_name, dtype in (('fp16', torch.float16), ('bf16', torch.bfloat16)):
        double = DoubleStreamBlock(cfg).to(dev, dtype).eval()
        single = SingleStreamBlock(cfg).to(dev, dtype).eval()
        img = torch.randn(B, S, cfg.hidden_size, device=dev, dtype=dtype)
        txt = torch.randn(B, L, cfg.hidden_size, device=dev, dtype=dtype)
        vec = torch.randn(B, cfg.hidden_size, device=dev, dtype=dtype)
        joint = torch.cat((txt, img), 1)
        for attn_name, attn in (('matmul+softmax', original), ('sdpa', sdpa_attention)):
            flux_model.attention = attn
            with torch.no_grad():
                torch.cuda.reset_peak_memory_stats()
                d_ms = bench(lambda: double(img, txt, vec, pe))
                s_ms = bench(lambda: single(joint, vec, pe))
            step_ms = 19 * d_ms + 38 * s_ms
            out['rows'].append({'dtype': dtype_name, 'attention': attn_name, 'doubleMs': d_ms, 'singleMs': s_ms,
                                'flux1StepMs': step_ms, 'flux1FourStepsS': 4 * step_ms / 1000,
                                'peakMiB': torch.cuda.max_memory_allocated() / 2**20})
            print(json.dumps(out['rows'][-1]), flush=True)
        flux_model.attention = original
        del double, single
        torch.cuda.empty_cache()
    with open(args.out, 'w') as f:
        json.dump(out, f, indent=2)


if __name__ == '__main__':
    t0 = time.time()
    main()
    print(f'torch blocks: {time.time() - t0:.0f} s')
