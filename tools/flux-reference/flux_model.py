"""The FLUX.1 transformer architecture (black-forest-labs/flux, src/flux/model.py and
modules/layers.py), written for ONNX export with the FLUX.1 export tensor names.

Real structure and sizes at the default config: hidden 3072, 24 heads of 128, 64-channel packed
latents in, 4096-wide T5 states, 768-wide pooled CLIP vector, 3-axis RoPE (16+56+56 = 128) over
(txt_ids, img_ids), QK RMSNorm, adaLN modulation, double-stream blocks (separate image/text
weights, joint attention) then single-stream blocks (parallel attention + MLP), final adaLN
layer. Only the number of blocks is reduced (FLUX.1 has 19 double + 38 single) and the weights
are random: the model is for timing and memory, not for images.

Attention is written as matmul + softmax (no scaled_dot_product_attention) so torch 1.13
(Debian, CPU tests) and torch 2.x (GPU machine) export the same graph.
"""
import math
from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class FluxConfig:
    in_channels: int = 64
    vec_in_dim: int = 768
    context_in_dim: int = 4096
    hidden_size: int = 3072
    mlp_ratio: float = 4.0
    num_heads: int = 24
    depth: int = 1
    depth_single_blocks: int = 1
    axes_dim: tuple = (16, 56, 56)
    theta: int = 10_000
    guidance_embed: bool = False

    @property
    def head_dim(self):
        return self.hidden_size // self.num_heads


def timestep_embedding(t, dim, max_period=10000, time_factor=1000.0):
    t = time_factor * t.float()
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    args = t[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


def rope(pos, dim, theta):
    scale = torch.arange(0, dim, 2, dtype=torch.float32, device=pos.device) / dim
    omega = 1.0 / (theta ** scale)
    out = pos.float()[..., None] * omega  # [N, dim/2]
    out = torch.stack([torch.cos(out), -torch.sin(out), torch.sin(out), torch.cos(out)], dim=-1)
    return out.reshape(*out.shape[:-1], 2, 2)  # [N, dim/2, 2, 2]


def apply_rope(x, freqs):
    # x [B, H, L, D] → pairs [B, H, L, D/2, 1, 2]; freqs [L, D/2, 2, 2]
    x_ = x.float().reshape(*x.shape[:-1], -1, 1, 2)
    out = freqs[..., 0] * x_[..., 0] + freqs[..., 1] * x_[..., 1]
    return out.reshape(*x.shape).to(x.dtype)


def attention(q, k, v, pe):
    q, k = apply_rope(q, pe), apply_rope(k, pe)
    scores = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(q.shape[-1]))
    # softmax in the model dtype: q and k are RMS-normed, so |scores| stays small in fp16, and
    # the [B, H, L, L] buffer is half the size of an fp32 one
    x = torch.matmul(torch.softmax(scores, dim=-1), v)
    b, h, l, d = x.shape
    return x.transpose(1, 2).reshape(b, l, h * d)


class MLPEmbedder(nn.Module):
    def __init__(self, in_dim, hidden):
        super().__init__()
        self.in_layer = nn.Linear(in_dim, hidden)
        self.out_layer = nn.Linear(hidden, hidden)

    def forward(self, x):
        return self.out_layer(nn.functional.silu(self.in_layer(x)))


class RMSNorm(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        xf = x.float()
        rrms = torch.rsqrt(torch.mean(xf * xf, dim=-1, keepdim=True) + 1e-6)
        return (xf * rrms).to(x.dtype) * self.scale


class QKNorm(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.query_norm = RMSNorm(dim)
        self.key_norm = RMSNorm(dim)

    def forward(self, q, k):
        return self.query_norm(q), self.key_norm(k)


def split_heads(qkv, heads):
    b, l, _ = qkv.shape
    qkv = qkv.reshape(b, l, 3, heads, -1).permute(2, 0, 3, 1, 4)  # K B H L D
    return qkv[0], qkv[1], qkv[2]


class Modulation(nn.Module):
    def __init__(self, dim, double):
        super().__init__()
        self.multiplier = 6 if double else 3
        self.lin = nn.Linear(dim, self.multiplier * dim)

    def forward(self, vec):
        out = self.lin(nn.functional.silu(vec))[:, None, :].chunk(self.multiplier, dim=-1)
        return out  # (shift, scale, gate) × 1 or 2


def layer_norm(x, width):
    # FLUX's LayerNorms have no affine weights; explicit ones/zeros export as one
    # LayerNormalization node (torch 1.13 writes an invalid node without them). The width is
    # passed in: a shape read from a dynamic tensor does not export.
    ones = torch.ones(width, dtype=x.dtype, device=x.device)
    return nn.functional.layer_norm(x, (width,), weight=ones, bias=torch.zeros_like(ones), eps=1e-6)


class DoubleStreamBlock(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        h, mlp = cfg.hidden_size, int(cfg.hidden_size * cfg.mlp_ratio)
        self.heads = cfg.num_heads
        self.width = h
        for side in ('img', 'txt'):
            setattr(self, f'{side}_mod', Modulation(h, double=True))
            setattr(self, f'{side}_qkv', nn.Linear(h, 3 * h, bias=True))
            setattr(self, f'{side}_norm', QKNorm(cfg.head_dim))
            setattr(self, f'{side}_proj', nn.Linear(h, h))
            setattr(self, f'{side}_mlp', nn.Sequential(nn.Linear(h, mlp), nn.GELU(approximate='tanh'), nn.Linear(mlp, h)))

    def forward(self, img, txt, vec, pe):
        i_shift1, i_scale1, i_gate1, i_shift2, i_scale2, i_gate2 = self.img_mod(vec)
        t_shift1, t_scale1, t_gate1, t_shift2, t_scale2, t_gate2 = self.txt_mod(vec)
        iq, ik, iv = split_heads(self.img_qkv((1 + i_scale1) * layer_norm(img, self.width) + i_shift1), self.heads)
        iq, ik = self.img_norm(iq, ik)
        tq, tk, tv = split_heads(self.txt_qkv((1 + t_scale1) * layer_norm(txt, self.width) + t_shift1), self.heads)
        tq, tk = self.txt_norm(tq, tk)
        attn = attention(torch.cat((tq, iq), 2), torch.cat((tk, ik), 2), torch.cat((tv, iv), 2), pe)
        txt_len = txt.shape[1]
        t_attn, i_attn = attn[:, :txt_len], attn[:, txt_len:]
        img = img + i_gate1 * self.img_proj(i_attn)
        img = img + i_gate2 * self.img_mlp((1 + i_scale2) * layer_norm(img, self.width) + i_shift2)
        txt = txt + t_gate1 * self.txt_proj(t_attn)
        txt = txt + t_gate2 * self.txt_mlp((1 + t_scale2) * layer_norm(txt, self.width) + t_shift2)
        return img, txt


class SingleStreamBlock(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        h = cfg.hidden_size
        self.mlp_hidden = int(h * cfg.mlp_ratio)
        self.heads = cfg.num_heads
        self.width = h
        self.linear1 = nn.Linear(h, 3 * h + self.mlp_hidden)
        self.linear2 = nn.Linear(h + self.mlp_hidden, h)
        self.norm = QKNorm(cfg.head_dim)
        self.modulation = Modulation(h, double=False)

    def forward(self, x, vec, pe):
        shift, scale, gate = self.modulation(vec)
        qkv, mlp = torch.split(self.linear1((1 + scale) * layer_norm(x, self.width) + shift), [3 * self.width, self.mlp_hidden], dim=-1)
        q, k, v = split_heads(qkv, self.heads)
        q, k = self.norm(q, k)
        out = self.linear2(torch.cat((attention(q, k, v, pe), nn.functional.gelu(mlp, approximate='tanh')), dim=2))
        return x + gate * out


class FluxTransformer(nn.Module):
    """forward(hidden_states, encoder_hidden_states, pooled_projections, timestep, img_ids,
    txt_ids[, guidance]) → latent, with the FLUX.1 ONNX export names and shapes."""

    def __init__(self, cfg: FluxConfig):
        super().__init__()
        assert sum(cfg.axes_dim) == cfg.head_dim, 'RoPE axes must cover the head dimension'
        self.cfg = cfg
        h = self.width = cfg.hidden_size
        self.img_in = nn.Linear(cfg.in_channels, h)
        self.time_in = MLPEmbedder(256, h)
        self.vector_in = MLPEmbedder(cfg.vec_in_dim, h)
        self.guidance_in = MLPEmbedder(256, h) if cfg.guidance_embed else None
        self.txt_in = nn.Linear(cfg.context_in_dim, h)
        self.double_blocks = nn.ModuleList([DoubleStreamBlock(cfg) for _ in range(cfg.depth)])
        self.single_blocks = nn.ModuleList([SingleStreamBlock(cfg) for _ in range(cfg.depth_single_blocks)])
        self.final_mod = nn.Linear(h, 2 * h)
        self.final_linear = nn.Linear(h, cfg.in_channels)

    def forward(self, hidden_states, encoder_hidden_states, pooled_projections, timestep, img_ids, txt_ids, guidance=None):
        dtype = self.img_in.weight.dtype
        img = self.img_in(hidden_states.to(dtype))
        vec = self.time_in(timestep_embedding(timestep, 256).to(dtype))
        if self.guidance_in is not None:
            vec = vec + self.guidance_in(timestep_embedding(guidance, 256).to(dtype))
        vec = vec + self.vector_in(pooled_projections.to(dtype))
        txt = self.txt_in(encoder_hidden_states.to(dtype))
        ids = torch.cat((txt_ids, img_ids), dim=0)
        pe = torch.cat([rope(ids[:, i], self.cfg.axes_dim[i], self.cfg.theta) for i in range(3)], dim=-3)
        for block in self.double_blocks:
            img, txt = block(img, txt, vec, pe)
        x = torch.cat((txt, img), dim=1)
        for block in self.single_blocks:
            x = block(x, vec, pe)
        x = x[:, txt.shape[1]:]
        shift, scale = self.final_mod(nn.functional.silu(vec)).chunk(2, dim=1)
        x = (1 + scale[:, None]) * layer_norm(x, self.width) + shift[:, None]
        return self.final_linear(x)


def parameter_count(cfg: FluxConfig, double: int, single: int) -> int:
    """Parameters of a model with this many blocks (for the extrapolation to 19 + 38)."""
    h, mlp = cfg.hidden_size, int(cfg.hidden_size * cfg.mlp_ratio)
    lin = lambda i, o: i * o + o  # noqa: E731
    per_double = 2 * (lin(h, 6 * h) + lin(h, 3 * h) + 2 * cfg.head_dim + lin(h, h) + lin(h, mlp) + lin(mlp, h))
    per_single = lin(h, 3 * h + mlp) + lin(h + mlp, h) + 2 * cfg.head_dim + lin(h, 3 * h)
    embedder = lambda i: lin(i, h) + lin(h, h)  # noqa: E731
    base = lin(cfg.in_channels, h) + embedder(256) + embedder(cfg.vec_in_dim) + lin(cfg.context_in_dim, h) \
        + lin(h, 2 * h) + lin(h, cfg.in_channels) + (embedder(256) if cfg.guidance_embed else 0)
    return base + double * per_double + single * per_single
