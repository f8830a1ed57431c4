#!/usr/bin/env python3
"""Builds a FLUX-architecture reference model folder that the farm's pipeline loads.

    python3 tools/flux-reference/build.py --out /tmp/flux-ref --dtype fp16 --device cuda \\
        --variants 1x1,2x1,1x2          # GPU machine (torch 2.x): full FLUX.1 sizes
    /usr/bin/python3 tools/flux-reference/build.py --out /tmp/ref --small   # CPU test config

The folder (layout of the published FLUX.1 ONNX exports, see models/README.md):
  transformer.opt/d{D}s{S}/model.onnx + backbone.onnx_data
                      the FLUX.1 transformer (flux_model.py) with D double and S single blocks,
                      random weights; the first variant is the one model.json names
  clip.opt/model.onnx stand-in text encoder: input_ids → pooled_embeddings [B, 768]
  t5.opt/model.onnx   stand-in text encoder: input_ids → text_embeddings [B, L, 4096]
  vae.opt/model.onnx  stand-in decoder: 16-channel latents → RGB at 8x (3 upsampling convs,
                      far lighter than FLUX's VAE: decode times are not FLUX's)
  tokenizer/, tokenizer_2/   CLIP BPE / T5 Unigram tokenizer.json (the test tokenizers)
  model.json, reference.json (config, parameter counts per variant)

Full size (default): hidden 3072, 24 heads, 64-channel latents, 4096-wide T5 states (512
tokens), 768-wide pooled vector, RoPE axes 16/56/56; at 1024x1024 that is 4,096 image tokens
+ 512 text tokens per block. --small shrinks the widths so the CPU test runs in seconds.
fp16 export needs torch ≥ 2 (fp16 matmul); Debian's torch 1.13 exports fp32.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from flux_model import FluxConfig, FluxTransformer, parameter_count  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
TOKENIZERS = os.path.join(ROOT, 'packages', 'pipeline', 'test-fixtures', 'tokenizers')
SMALL = dict(hidden_size=96, num_heads=2, axes_dim=(8, 20, 20), context_in_dim=64, vec_in_dim=32)


def export(module, args, names, outputs, dynamic, path, external):
    """ONNX opset 17 with dynamic axes; weights over 1 KiB in `external` next to the graph."""
    import onnx
    from onnx import external_data_helper
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        raw = os.path.join(tmp, 'raw.onnx')
        kwargs = dict(input_names=names, output_names=outputs, dynamic_axes=dynamic, opset_version=17, do_constant_folding=True)
        try:
            torch.onnx.export(module, args, raw, dynamo=False, **kwargs)
        except TypeError:  # torch < 2.5 has no `dynamo` argument
            torch.onnx.export(module, args, raw, **kwargs)
        model = onnx.load(raw, load_external_data=True)
    if external:
        external_data_helper.convert_model_to_external_data(model, all_tensors_to_one_file=True, location=external, size_threshold=1024)
        target = os.path.join(os.path.dirname(path), external)
        if os.path.exists(target):
            os.remove(target)
        onnx.save_model(model, path, save_as_external_data=True, all_tensors_to_one_file=True, location=external, size_threshold=1024)
    else:
        onnx.save(model, path)


class PooledEncoder(nn.Module):
    """input_ids → pooled_embeddings: embedding, mean over tokens, linear."""

    def __init__(self, vocab, width):
        super().__init__()
        self.embed = nn.Embedding(vocab, width)
        self.proj = nn.Linear(width, width)

    def forward(self, input_ids):
        return self.proj(self.embed(input_ids).mean(dim=1))


class SequenceEncoder(nn.Module):
    """input_ids → text_embeddings [B, L, width]: embedding and a layer norm."""

    def __init__(self, vocab, width):
        super().__init__()
        self.width = width
        self.embed = nn.Embedding(vocab, width)

    def forward(self, input_ids):
        x = self.embed(input_ids)
        ones = torch.ones(self.width, dtype=x.dtype, device=x.device)
        return nn.functional.layer_norm(x, (self.width,), weight=ones, bias=torch.zeros_like(ones))


class StandInDecoder(nn.Module):
    """latent [B,16,h,w] → images [B,3,8h,8w] in [-1,1]."""

    def __init__(self, channels=64):
        super().__init__()
        self.inp = nn.Conv2d(16, channels, 3, padding=1)
        self.ups = nn.ModuleList([nn.Conv2d(channels, channels, 3, padding=1) for _ in range(3)])
        self.out = nn.Conv2d(channels, 3, 3, padding=1)

    def forward(self, latent):
        x = self.inp(latent)
        for conv in self.ups:
            x = conv(nn.functional.silu(nn.functional.interpolate(x, scale_factor=2.0, mode='nearest')))
        return torch.tanh(self.out(nn.functional.silu(x)))


def vocab_size(tokenizer_file):
    with open(tokenizer_file, encoding='utf-8') as f:
        data = json.load(f)
    model = data['model']
    n = len(model['vocab'])
    return max(n, 1 + max((t['id'] for t in data.get('added_tokens', [])), default=0))


def write_descriptions(out, args, base, variants, text_length):
    """model.json (serving the first variant) and reference.json (config, every variant so far)."""
    manifest = {
        'name': os.path.basename(out),
        'variant': 'dev' if args.dev else 'schnell',
        'description': 'FLUX-architecture reference (tools/flux-reference): random weights, for timing and memory only',
        'files': {'clip': 'clip.opt/model.onnx', 't5': 't5.opt/model.onnx', 'transformer': variants[0]['file'], 'vaeDecoder': 'vae.opt/model.onnx'},
        'tokenizers': {'clip': 'tokenizer/tokenizer.json', 't5': 'tokenizer_2/tokenizer.json'},
        'textLengths': {'clip': 77, 't5': text_length},
        'latentChannels': 16,
        'vae': {'scalingFactor': 0.3611, 'shiftFactor': 0.1159},
        'steps': {'default': 4, 'min': 1, 'max': 50},
        'resolution': {'min': 64, 'max': args.max_size, 'multiple': 16},
        'defaultSize': {'width': args.max_size, 'height': args.max_size},
    }
    if args.dev:
        manifest['guidance'] = {'default': 3.5}
    reference = {'config': {k: (list(v) if isinstance(v, tuple) else v) for k, v in base.__dict__.items() if k not in ('depth', 'depth_single_blocks')},
                 'dtype': args.dtype, 'torch': torch.__version__, 'variants': variants,
                 'flux1_parameters': parameter_count(base, 19, 38)}
    for name, data in (('model.json', manifest), ('reference.json', reference)):
        with open(os.path.join(out, name), 'w') as f:
            json.dump(data, f, indent=2)
            f.write('\n')
    return reference


def main(argv=None):
    ap = argparse.ArgumentParser(description='FLUX-architecture reference model folder (random weights)')
    ap.add_argument('--out', required=True)
    ap.add_argument('--variants', default='1x1', help='comma-separated DOUBLExSINGLE block counts; the first is the served one')
    ap.add_argument('--dtype', choices=['fp16', 'fp32'], default='fp32')
    ap.add_argument('--device', default='cpu')
    ap.add_argument('--small', action='store_true', help='reduced widths for CPU tests')
    ap.add_argument('--dev', action='store_true', help='dev variant: the transformer takes `guidance`')
    ap.add_argument('--t5-length', type=int, default=512)
    ap.add_argument('--max-size', type=int, default=1024)
    ap.add_argument('--seed', type=int, default=0)
    args = ap.parse_args(argv)

    torch.manual_seed(args.seed)
    dtype = torch.float16 if args.dtype == 'fp16' else torch.float32
    device = torch.device(args.device)
    base = FluxConfig(guidance_embed=args.dev, **(SMALL if args.small else {}))
    out = os.path.abspath(args.out)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)

    L, S, B = args.t5_length, 64, 1  # example shapes for tracing; every axis is dynamic
    # Text encoders, decoder and tokenizers first; then the transformer variants, the manifest
    # and reference.json rewritten after each one, so a build cut short by a timeout still
    # leaves a loadable folder with the variants done so far.
    clip_tok = os.path.join(TOKENIZERS, 'clip-bpe', 'tokenizer.json')
    t5_tok = os.path.join(TOKENIZERS, 't5-unigram', 'tokenizer.json')
    with torch.no_grad():
        ids = lambda n: torch.zeros(1, n, dtype=torch.int64, device=device)  # noqa: E731
        export(PooledEncoder(vocab_size(clip_tok), base.vec_in_dim).to(device, dtype).eval(), (ids(77),), ['input_ids'],
               ['pooled_embeddings'], {'input_ids': {0: 'B'}, 'pooled_embeddings': {0: 'B'}}, os.path.join(out, 'clip.opt/model.onnx'), None)
        export(SequenceEncoder(vocab_size(t5_tok), base.context_in_dim).to(device, dtype).eval(), (ids(L),), ['input_ids'],
               ['text_embeddings'], {'input_ids': {0: 'B'}, 'text_embeddings': {0: 'B'}}, os.path.join(out, 't5.opt/model.onnx'), 'model.onnx_data')
        export(StandInDecoder().to(device, dtype).eval(), (torch.randn(1, 16, 8, 8, device=device, dtype=dtype),), ['latent'], ['images'],
               {'latent': {0: 'B', 2: 'h', 3: 'w'}, 'images': {0: 'B', 2: 'H', 3: 'W'}}, os.path.join(out, 'vae.opt/model.onnx'), None)
    for src, dst in ((clip_tok, 'tokenizer'), (t5_tok, 'tokenizer_2')):
        os.makedirs(os.path.join(out, dst))
        shutil.copy(src, os.path.join(out, dst, 'tokenizer.json'))

    variants = []
    for spec in args.variants.split(','):
        d, s = (int(v) for v in spec.lower().split('x'))
        cfg = FluxConfig(**{**base.__dict__, 'depth': d, 'depth_single_blocks': s})
        model = FluxTransformer(cfg).to(device=device, dtype=dtype).eval()
        ex = (
            torch.randn(B, S, cfg.in_channels, device=device, dtype=dtype),
            torch.randn(B, L, cfg.context_in_dim, device=device, dtype=dtype),
            torch.randn(B, cfg.vec_in_dim, device=device, dtype=dtype),
            torch.full((B,), 0.5, device=device),
            torch.zeros(S, 3, device=device),
            torch.zeros(L, 3, device=device),
        ) + ((torch.full((B,), 3.5, device=device),) if args.dev else ())
        names = ['hidden_states', 'encoder_hidden_states', 'pooled_projections', 'timestep', 'img_ids', 'txt_ids'] + (['guidance'] if args.dev else [])
        dynamic = {'hidden_states': {0: 'B', 1: 'S'}, 'encoder_hidden_states': {0: 'B', 1: 'L'}, 'pooled_projections': {0: 'B'},
                   'timestep': {0: 'B'}, 'img_ids': {0: 'S'}, 'txt_ids': {0: 'L'}, 'latent': {0: 'B', 1: 'S'}}
        if args.dev:
            dynamic['guidance'] = {0: 'B'}
        rel = f'transformer.opt/d{d}s{s}/model.onnx'
        with torch.no_grad():
            export(model, ex, names, ['latent'], dynamic, os.path.join(out, rel), 'backbone.onnx_data')
        variants.append({'double': d, 'single': s, 'file': rel, 'parameters': parameter_count(cfg, d, s)})
        print(f'{rel}: {variants[-1]["parameters"] / 1e6:.1f} M parameters', flush=True)
        del model
        if device.type == 'cuda':
            torch.cuda.empty_cache()
        write_descriptions(out, args, base, variants, L)

    reference = write_descriptions(out, args, base, variants, L)
    print(f'wrote {out} (FLUX.1 at these widths, 19 + 38 blocks: {reference["flux1_parameters"] / 1e9:.2f} B parameters)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
