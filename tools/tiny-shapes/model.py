"""Networks of the tiny-shapes model, with the FLUX.1 ONNX interface.

- TextEncoder ("clip" and "t5"): word embeddings + a small transformer; "clip" also pools.
- FlowTransformer: MMDiT-style — double-stream blocks (separate weights for text and image
  tokens, joint attention), then single-stream blocks; RoPE over the 3-axis ids plus Fourier
  features of each image token's fractional position (read from the same ids); adaLN
  modulation from timestep + pooled text (+ guidance for dev variants).
- AutoEncoder: conv VAE-style autoencoder, 16 latent channels at 1/8 resolution.
Attention is written out by hand: torch 1.13 has no scaled_dot_product_attention, and the
explicit form exports to plain ONNX ops that onnxruntime fuses.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def attention(q, k, v, mask_bias=None):
    # q, k, v: [B, heads, N, d]
    scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
    if mask_bias is not None:
        scores = scores + mask_bias
    return torch.matmul(torch.softmax(scores, dim=-1), v)


class EncoderLayer(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(width)
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)
        self.norm2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width))

    def forward(self, x, mask_bias):
        b, n, w = x.shape
        qkv = self.qkv(self.norm1(x)).reshape(b, n, 3, self.heads, w // self.heads).permute(2, 0, 3, 1, 4)
        a = attention(qkv[0], qkv[1], qkv[2], mask_bias).transpose(1, 2).reshape(b, n, w)
        x = x + self.proj(a)
        return x + self.mlp(self.norm2(x))


class TextEncoder(nn.Module):
    def __init__(self, vocab_size, max_len, width, layers=2, heads=4, pooled=False):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, width)
        self.pos = nn.Parameter(torch.randn(max_len, width) * 0.02)
        self.layers = nn.ModuleList([EncoderLayer(width, heads) for _ in range(layers)])
        self.norm = nn.LayerNorm(width)
        self.pooled = pooled

    def forward(self, input_ids):
        ids = input_ids.long()
        n = ids.shape[1]
        x = self.embed(ids) + self.pos[:n]
        keep = (ids != 0).float()  # [PAD] has id 0
        mask_bias = ((1.0 - keep) * -1e4)[:, None, None, :]
        for layer in self.layers:
            x = layer(x, mask_bias)
        x = self.norm(x)
        if not self.pooled:
            return x
        pooled = (x * keep[..., None]).sum(1) / keep.sum(1, keepdim=True).clamp(min=1.0)
        return x, pooled


def timestep_embedding(t, dim, scale=1000.0):
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    args = t[:, None].float() * scale * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


def rope(ids, axes_dim, theta=10000.0):
    """ids [N, 3] -> (cos, sin) each [N, sum(axes_dim)/2]."""
    parts = []
    for axis, d in enumerate(axes_dim):
        omega = 1.0 / theta ** (torch.arange(0, d, 2, dtype=torch.float32, device=ids.device) / d)
        parts.append(ids[:, axis:axis + 1].float() * omega[None])
    angles = torch.cat(parts, dim=-1)
    return torch.cos(angles), torch.sin(angles)


def grid_position(img_ids, n_freq=4):
    """Fourier features of each image token's centre as a fraction of the image, read from the
    ids alone ((0, i, j), i < H/16, j < W/16). RoPE gives attention relative offsets, but with
    theta 10000 and only 4-8 tokens per side most of its frequencies barely turn, so "top left"
    was slow to learn; a fractional position is the same for every image size."""
    ij = img_ids[:, 1:3]
    extent = torch.amax(ij, dim=0, keepdim=True) + 1.0
    frac = (ij + 0.5) / extent
    angles = frac[:, :, None] * (math.pi * 2.0 ** torch.arange(n_freq, dtype=torch.float32, device=img_ids.device))
    return torch.cat([torch.sin(angles), torch.cos(angles)], dim=-1).flatten(1)


def rope_image_ids(img_ids, reference=4.0):
    """img_ids with (i, j) rescaled so the shorter side spans `reference` tokens (64 px): RoPE
    then sees the same relative offsets between the parts of a scene at every image size (shapes
    are sized relative to the shorter side), instead of offsets up to 15 at 256 px that 64 px
    training never showed. At 64 px (4 tokens a side) the ids are unchanged."""
    ij = img_ids[:, 1:3]
    extent = torch.amax(ij, dim=0) + 1.0
    scale = reference / torch.min(extent)
    return torch.cat([img_ids[:, :1], ij * scale], dim=1)


def apply_rope(x, cos, sin):
    # x [B, heads, N, d]; rotate consecutive pairs (x0, x1) by the angle of their frequency.
    x0, x1 = x[..., 0::2], x[..., 1::2]
    r0 = x0 * cos - x1 * sin
    r1 = x0 * sin + x1 * cos
    return torch.stack([r0, r1], dim=-1).flatten(-2)


class PlainNorm(nn.Module):
    """LayerNorm without affine parameters, written out: torch 1.13 exports an affine-free
    nn.LayerNorm to an ONNX LayerNormalization node with an empty scale input, which the
    checker rejects."""

    def __init__(self, eps=1e-6):
        super().__init__()
        self.eps = eps

    def forward(self, x):
        mean = x.mean(-1, keepdim=True)
        var = (x - mean).pow(2).mean(-1, keepdim=True)
        return (x - mean) / torch.sqrt(var + self.eps)


class Modulation(nn.Module):
    def __init__(self, width, n):
        super().__init__()
        self.n = n
        self.lin = nn.Linear(width, n * width)
        nn.init.zeros_(self.lin.weight)
        nn.init.zeros_(self.lin.bias)

    def forward(self, vec):
        return self.lin(F.silu(vec))[:, None, :].chunk(self.n, dim=-1)


class QKNorm(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.q = nn.LayerNorm(d, elementwise_affine=True)
        self.k = nn.LayerNorm(d, elementwise_affine=True)


class DoubleStreamBlock(nn.Module):
    def __init__(self, width, heads, mlp_ratio):
        super().__init__()
        self.heads = heads
        hidden = int(width * mlp_ratio)
        self.img_mod, self.txt_mod = Modulation(width, 6), Modulation(width, 6)
        self.img_norm1 = PlainNorm()
        self.txt_norm1 = PlainNorm()
        self.img_qkv, self.txt_qkv = nn.Linear(width, 3 * width), nn.Linear(width, 3 * width)
        self.img_qk, self.txt_qk = QKNorm(width // heads), QKNorm(width // heads)
        self.img_proj, self.txt_proj = nn.Linear(width, width), nn.Linear(width, width)
        self.img_norm2 = PlainNorm()
        self.txt_norm2 = PlainNorm()
        self.img_mlp = nn.Sequential(nn.Linear(width, hidden), nn.GELU(), nn.Linear(hidden, width))
        self.txt_mlp = nn.Sequential(nn.Linear(width, hidden), nn.GELU(), nn.Linear(hidden, width))

    def _qkv(self, x, lin, qk):
        b, n, w = x.shape
        q, k, v = lin(x).reshape(b, n, 3, self.heads, w // self.heads).permute(2, 0, 3, 1, 4)
        return qk.q(q), qk.k(k), v

    def forward(self, img, txt, vec, cos, sin):
        i_sh1, i_sc1, i_g1, i_sh2, i_sc2, i_g2 = self.img_mod(vec)
        t_sh1, t_sc1, t_g1, t_sh2, t_sc2, t_g2 = self.txt_mod(vec)
        iq, ik, iv = self._qkv(self.img_norm1(img) * (1 + i_sc1) + i_sh1, self.img_qkv, self.img_qk)
        tq, tk, tv = self._qkv(self.txt_norm1(txt) * (1 + t_sc1) + t_sh1, self.txt_qkv, self.txt_qk)
        q = apply_rope(torch.cat([tq, iq], dim=2), cos, sin)
        k = apply_rope(torch.cat([tk, ik], dim=2), cos, sin)
        v = torch.cat([tv, iv], dim=2)
        a = attention(q, k, v)
        b, h, n, d = a.shape
        a = a.transpose(1, 2).reshape(b, n, h * d)
        lt = txt.shape[1]
        txt_a, img_a = a[:, :lt], a[:, lt:]
        img = img + i_g1 * self.img_proj(img_a)
        img = img + i_g2 * self.img_mlp(self.img_norm2(img) * (1 + i_sc2) + i_sh2)
        txt = txt + t_g1 * self.txt_proj(txt_a)
        txt = txt + t_g2 * self.txt_mlp(self.txt_norm2(txt) * (1 + t_sc2) + t_sh2)
        return img, txt


class SingleStreamBlock(nn.Module):
    def __init__(self, width, heads, mlp_ratio):
        super().__init__()
        self.heads, self.width = heads, width
        self.hidden = int(width * mlp_ratio)
        self.mod = Modulation(width, 3)
        self.norm = PlainNorm()
        self.lin1 = nn.Linear(width, 3 * width + self.hidden)
        self.qk = QKNorm(width // heads)
        self.lin2 = nn.Linear(width + self.hidden, width)

    def forward(self, x, vec, cos, sin):
        sh, sc, g = self.mod(vec)
        h = self.lin1(self.norm(x) * (1 + sc) + sh)
        qkv, mlp = h[..., :3 * self.width], h[..., 3 * self.width:]
        b, n, _ = x.shape
        q, k, v = qkv.reshape(b, n, 3, self.heads, self.width // self.heads).permute(2, 0, 3, 1, 4)
        q, k = apply_rope(self.qk.q(q), cos, sin), apply_rope(self.qk.k(k), cos, sin)
        a = attention(q, k, v).transpose(1, 2).reshape(b, n, self.width)
        return x + g * self.lin2(torch.cat([a, F.gelu(mlp)], dim=-1))


class FlowTransformer(nn.Module):
    def __init__(self, text_dim, pooled_dim, width=128, heads=4, double=3, single=3, mlp_ratio=3.0,
                 axes_dim=(8, 12, 12), guidance=False, txt_tokens=None):
        super().__init__()
        # txt_tokens: read only the first N rows of encoder_hidden_states / txt_ids (slot
        # conditioning, slots.py: the text encoder writes its K slot embeddings there)
        self.txt_tokens = txt_tokens
        assert sum(axes_dim) == width // heads
        self.axes_dim = axes_dim
        self.img_in = nn.Linear(64, width)
        self.pos_in = nn.Linear(16, width)  # grid_position: 2 axes x 4 frequencies x (sin, cos)
        self.txt_in = nn.Linear(text_dim, width)
        self.time_in = nn.Sequential(nn.Linear(64, width), nn.SiLU(), nn.Linear(width, width))
        self.vector_in = nn.Sequential(nn.Linear(pooled_dim, width), nn.SiLU(), nn.Linear(width, width))
        self.guidance_in = nn.Sequential(nn.Linear(64, width), nn.SiLU(), nn.Linear(width, width)) if guidance else None
        self.double_blocks = nn.ModuleList([DoubleStreamBlock(width, heads, mlp_ratio) for _ in range(double)])
        self.single_blocks = nn.ModuleList([SingleStreamBlock(width, heads, mlp_ratio) for _ in range(single)])
        self.final_mod = Modulation(width, 2)
        self.final_norm = PlainNorm()
        self.final = nn.Linear(width, 64)
        nn.init.zeros_(self.final.weight)
        nn.init.zeros_(self.final.bias)

    def forward(self, hidden_states, encoder_hidden_states, pooled_projections, timestep, img_ids, txt_ids,
                guidance=None):
        if self.txt_tokens:
            encoder_hidden_states = encoder_hidden_states[:, :self.txt_tokens]
            txt_ids = txt_ids[:self.txt_tokens]
        img = self.img_in(hidden_states) + self.pos_in(grid_position(img_ids))[None]
        txt = self.txt_in(encoder_hidden_states)
        vec = self.time_in(timestep_embedding(timestep, 64)) + self.vector_in(pooled_projections)
        if self.guidance_in is not None:
            vec = vec + self.guidance_in(timestep_embedding(guidance, 64, scale=1.0))
        cos, sin = rope(torch.cat([txt_ids, rope_image_ids(img_ids)], dim=0), self.axes_dim)
        for block in self.double_blocks:
            img, txt = block(img, txt, vec, cos, sin)
        x = torch.cat([txt, img], dim=1)
        for block in self.single_blocks:
            x = block(x, vec, cos, sin)
        img = x[:, txt.shape[1]:]
        sh, sc = self.final_mod(vec)
        return self.final(self.final_norm(img) * (1 + sc) + sh)


def conv_block(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.GroupNorm(8, cout), nn.SiLU())


class ResBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.body = nn.Sequential(nn.GroupNorm(8, c), nn.SiLU(), nn.Conv2d(c, c, 3, padding=1),
                                  nn.GroupNorm(8, c), nn.SiLU(), nn.Conv2d(c, c, 3, padding=1))

    def forward(self, x):
        return x + self.body(x)


class Encoder(nn.Module):
    # Downsamples straight away: flat-colour scenes need little full-resolution processing,
    # and full-resolution convolutions dominate the cost of a training step on a CPU.
    def __init__(self, ch=(24, 48, 64), latent=16):
        super().__init__()
        layers = [nn.Conv2d(3, ch[0], 4, stride=2, padding=1), ResBlock(ch[0])]
        cin = ch[0]
        for c in ch[1:]:
            layers += [nn.Conv2d(cin, c, 4, stride=2, padding=1), ResBlock(c)]
            cin = c
        layers += [nn.GroupNorm(8, cin), nn.SiLU(), nn.Conv2d(cin, latent, 3, padding=1)]
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


class Decoder(nn.Module):
    def __init__(self, ch=(64, 48, 24), latent=16):
        super().__init__()
        layers = [nn.Conv2d(latent, ch[0], 3, padding=1), ResBlock(ch[0])]
        cin = ch[0]
        for c in ch[1:]:
            layers += [nn.Upsample(scale_factor=2.0, mode="nearest"), conv_block(cin, c), ResBlock(c)]
            cin = c
        # Last doubling to full resolution: one convolution only (see Encoder).
        layers += [nn.Upsample(scale_factor=2.0, mode="nearest"), nn.Conv2d(cin, 16, 3, padding=1),
                   nn.SiLU(), nn.Conv2d(16, 3, 3, padding=1)]
        self.net = nn.Sequential(*layers)

    def forward(self, latent):
        return torch.tanh(self.net(latent))
