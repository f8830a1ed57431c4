"""Train and export models/tiny-shapes (FLUX.1 ONNX interface, schnell variant).

    OMP_NUM_THREADS=2 /usr/bin/python3 tools/tiny-shapes/train.py --out models/tiny-shapes

Stage 1 is saved to tools/tiny-shapes/checkpoints/autoencoder.pt (ignored by git); `--vae-from`
reuses it, so flow settings can be tried without training the autoencoder again.

Stages: (1) autoencoder on rendered scenes, best checkpoint by reconstruction MSE on fresh
samples; (2) latent statistics -> scaling/shift factors; (3) latent banks at several sizes;
(4) rectified-flow training of text encoders + transformer (timesteps half from the
4-step inference sigmas, half logit-normal), with EMA weights; (5) a quick check of 4-step
samples with analyze.py; (6) ONNX export + manifest, tokenizer.json, domain.json and a loss log.  Debian's python3-torch (1.13) and python3-onnx;
install libopenblas0-pthread first (about 14x faster than the reference BLAS).
"""
import argparse
import json
import math
import os
import random
import re
import time

import numpy as np
import torch
import torch.nn.functional as F

import analyze
import domain
import model as nets
from export import export_all

TEXT_LEN = 24
WIDTH_TEXT = 64
INFERENCE_SIGMAS = [1.0, 0.75, 0.5, 0.25]
OTHER_SIZES = [(96, 64), (64, 96), (128, 64), (64, 128), (128, 128), (96, 96)]


class WordTokenizer:
    """Mirror of tokenizer.json (WordPiece over whole words, lowercase, Bert pre-tokenizer)."""

    def __init__(self, vocab):
        self.ids = {w: i for i, w in enumerate(vocab)}

    def __call__(self, text, length=TEXT_LEN):
        words = re.findall(r"\w+|[^\w\s]", text.lower())
        ids = [self.ids["[CLS]"]] + [self.ids.get(w, self.ids["[UNK]"]) for w in words]
        ids = ids[:length - 1] + [self.ids["[SEP]"]]
        return ids + [0] * (length - len(ids))


def pack(z):
    b, c, h, w = z.shape
    return z.reshape(b, c, h // 2, 2, w // 2, 2).permute(0, 2, 4, 1, 3, 5).reshape(b, (h // 2) * (w // 2), c * 4)


def unpack(x, h, w):
    b = x.shape[0]
    return x.reshape(b, h // 2, w // 2, 16, 2, 2).permute(0, 3, 1, 4, 2, 5).reshape(b, 16, h, w)


def img_ids(h, w):
    i, j = torch.meshgrid(torch.arange(h // 2), torch.arange(w // 2), indexing="ij")
    return torch.stack([torch.zeros_like(i), i, j], dim=-1).reshape(-1, 3).float()


def to_tensor(imgs):
    return torch.from_numpy(np.stack(imgs)).permute(0, 3, 1, 2).float() / 127.5 - 1.0


def render_batch(rng, n, width=64, height=64):
    scenes = [domain.sample_scene(rng) for _ in range(n)]
    return scenes, to_tensor([domain.render(s, width, height, rng) for s in scenes])


def edge_map(x):
    """1 where a pixel or one of its 8 neighbours differs in colour from another, else 0: [B,1,H,W]."""
    dx = (x[..., :, 1:] - x[..., :, :-1]).abs().sum(1, keepdim=True) > 1e-3
    dy = (x[..., 1:, :] - x[..., :-1, :]).abs().sum(1, keepdim=True) > 1e-3
    change = F.pad(dx.float(), (0, 1, 0, 0)) + F.pad(dy.float(), (0, 0, 0, 1))
    return (F.max_pool2d(change, 3, stride=1, padding=1) > 0).float()


def train_autoencoder(args, rng, log):
    enc, dec = nets.Encoder(), nets.Decoder()
    params = list(enc.parameters()) + list(dec.parameters())
    opt = torch.optim.Adam(params, lr=2e-3)
    _, val = render_batch(random.Random(12345), 256)
    best, best_state, step, t0 = float("inf"), None, 0, time.time()
    while step < args.vae_steps:
        frac = step / args.vae_steps
        for g in opt.param_groups:
            g["lr"] = 2e-3 * min(1.0, (step + 1) / 50) * 0.5 * (1 + math.cos(math.pi * frac))
        _, x = render_batch(rng, args.vae_batch)
        z = enc(x)
        # Noise on the latent makes the decoder tolerant of imperfect flow samples.
        z_noisy = z + 0.05 * z.detach().std() * torch.randn_like(z)
        err = dec(z_noisy) - x
        # Shape edges are a few percent of the pixels but decide how the shape reads (a rounded
        # corner turns a square into a circle), so pixels next to a colour change weigh 5x; the
        # L1 term keeps edges from settling on a blurred average.
        weight = 1.0 + 4.0 * edge_map(x)
        loss = ((weight * err.pow(2)).mean() + 0.1 * (weight * err.abs()).mean()) / weight.mean() \
            + 1e-4 * z.pow(2).mean()
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        step += 1
        if step % 50 == 0:
            with torch.no_grad():
                mse = F.mse_loss(dec(enc(val)), val).item()
            log("vae", step, time.time() - t0, loss.item(), mse)
            if mse < best:
                best = mse
                best_state = ({k: v.clone() for k, v in enc.state_dict().items()},
                              {k: v.clone() for k, v in dec.state_dict().items()})
    if best_state is not None:
        enc.load_state_dict(best_state[0])
        dec.load_state_dict(best_state[1])
    return enc.eval(), dec.eval(), best


@torch.no_grad()
def build_bank(enc, rng, n, width, height, shift, scale):
    scenes, lats = [], []
    for start in range(0, n, 256):
        s, x = render_batch(rng, min(256, n - start), width, height)
        scenes += s
        lats.append(pack((enc(x) - shift) * scale))
    return scenes, torch.cat(lats)


def sample_sigmas(n):
    fixed = torch.tensor(INFERENCE_SIGMAS)[torch.randint(0, 4, (n,))]
    uniform = torch.sigmoid(torch.randn(n))  # logit-normal, as in SD3/FLUX training
    return torch.where(torch.rand(n) < 0.5, fixed, uniform)


def train_flow(args, banks, tok, log, dec, shift, scale):
    vocab_size = len(tok.ids)
    clip = nets.TextEncoder(vocab_size, TEXT_LEN, WIDTH_TEXT, pooled=True)
    t5 = nets.TextEncoder(vocab_size, TEXT_LEN, WIDTH_TEXT)
    tr = nets.FlowTransformer(WIDTH_TEXT, WIDTH_TEXT, width=args.width, double=args.double, single=args.single)
    modules = torch.nn.ModuleList([clip, t5, tr])
    ema = torch.optim.swa_utils.AveragedModel(
        modules, avg_fn=lambda avg, cur, n: avg * args.ema + cur * (1 - args.ema) if n > 0 else cur)
    opt = torch.optim.AdamW(modules.parameters(), lr=args.lr, weight_decay=0.01)
    rng = random.Random(args.seed + 2)
    txt_ids = torch.zeros(TEXT_LEN, 3)
    sizes = list(banks)
    step, t0 = 0, time.time()
    while step < args.flow_steps:
        frac = step / args.flow_steps
        for g in opt.param_groups:
            g["lr"] = args.lr * min(1.0, (step + 1) / 100) * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * frac)))
        size = (64, 64) if rng.random() < 0.75 else rng.choice(sizes[1:])
        scenes, lat = banks[size]
        bsz = 48 if size == (64, 64) else 24
        idx = [rng.randrange(len(scenes)) for _ in range(bsz)]
        x0 = lat[idx]
        ids = torch.tensor([tok(domain.caption(scenes[i], rng)) for i in idx], dtype=torch.int32)
        sigma = sample_sigmas(bsz)
        noise = torch.randn_like(x0)
        xt = (1 - sigma[:, None, None]) * x0 + sigma[:, None, None] * noise
        txt, pooled = clip(ids)
        seq = t5(ids)
        # The "clip" sequence output is unused by FLUX; the pooled vector is the one that counts.
        v = tr(xt, seq, pooled, sigma, img_ids(size[1] // 8, size[0] // 8), txt_ids)
        loss = F.mse_loss(v, noise - x0)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(modules.parameters(), 1.0)
        opt.step()
        ema.update_parameters(modules)
        step += 1
        if step % 50 == 0:
            log("flow", step, time.time() - t0, loss.item(), None)
        if args.check_every and step % args.check_every == 0 and step < args.flow_steps:
            print(f"quick check at step {step}: {quick_check(*ema.module, dec, shift, scale)}", flush=True)
    clip_e, t5_e, tr_e = ema.module
    return clip_e.eval(), t5_e.eval(), tr_e.eval(), step


def load_autoencoder(path, log):
    """Stage 1 from an earlier run's checkpoint (its loss rows are copied into this run's log)."""
    ck = torch.load(path)
    enc, dec = nets.Encoder(), nets.Decoder()
    enc.load_state_dict(ck["encoder"])
    dec.load_state_dict(ck["decoder"])
    for row in ck["log"]:
        log(*row)
    return enc.eval(), dec.eval(), ck["val_mse"], ck["seconds"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="models/tiny-shapes")
    ap.add_argument("--seed", type=int, default=20261127)
    # Step counts, not time limits, so the result does not depend on how busy the machine is.
    ap.add_argument("--vae-steps", type=int, default=3000)
    ap.add_argument("--vae-batch", type=int, default=32)
    ap.add_argument("--vae-only", action="store_true", help="stop after stage 1 (saves checkpoints/autoencoder.pt)")
    ap.add_argument("--vae-from", help="reuse the autoencoder saved by an earlier run (checkpoints/autoencoder.pt)")
    ap.add_argument("--flow-steps", type=int, default=6000)
    ap.add_argument("--bank", type=int, default=12000)
    ap.add_argument("--width", type=int, default=128)
    ap.add_argument("--double", type=int, default=2)
    ap.add_argument("--single", type=int, default=2)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--ema", type=float, default=0.995)
    # Measured on 2 cores: the convolutional autoencoder gains from 2 threads (0.16 s/step),
    # while the flow model's small matrices run faster on 1 (0.25 s/step against 0.43).
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--flow-threads", type=int, default=1)
    ap.add_argument("--check-every", type=int, default=1000, help="quick check of the EMA weights every N flow steps (0: never)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)
    ckpt = os.path.join(os.path.dirname(os.path.abspath(__file__)), "checkpoints")
    os.makedirs(ckpt, exist_ok=True)
    curve = open(os.path.join(args.out, "training-log.csv"), "w")
    curve.write("stage,step,seconds,loss,val_mse\n")
    vae_rows = []

    def log(stage, step, secs, loss, val):
        if stage == "vae":
            vae_rows.append((stage, step, secs, loss, val))
        curve.write(f"{stage},{step},{secs:.1f},{loss:.5f},{'' if val is None else f'{val:.5f}'}\n")
        curve.flush()
        print(f"{stage} step {step} t={secs:.0f}s loss={loss:.4f}" + ("" if val is None else f" val_mse={val:.4f}"), flush=True)

    t_all = time.time()
    if args.vae_from:
        enc, dec, vae_mse, vae_seconds = load_autoencoder(args.vae_from, log)
    else:
        enc, dec, vae_mse = train_autoencoder(args, rng, log)
        vae_seconds = time.time() - t_all
        torch.save({"encoder": enc.state_dict(), "decoder": dec.state_dict(), "val_mse": vae_mse,
                    "seconds": vae_seconds, "log": vae_rows, "args": vars(args)},
                   os.path.join(ckpt, "autoencoder.pt"))
        if args.vae_only:
            return
    t_flow = time.time()
    with torch.no_grad():
        _, x = render_batch(random.Random(7), 1024)
        z = enc(x)
        shift, std = z.mean().item(), z.std().item()
    scale = 1.0 / std
    print(f"vae best val mse {vae_mse:.5f}; latent shift {shift:.4f} scale {scale:.4f}", flush=True)
    rng = random.Random(args.seed + 1)  # the same banks whether stage 1 ran here or was loaded
    banks = {(64, 64): build_bank(enc, rng, args.bank, 64, 64, shift, scale)}
    for w, h in OTHER_SIZES:
        banks[(w, h)] = build_bank(enc, rng, max(256, args.bank // 12), w, h, shift, scale)
    torch.set_num_threads(args.flow_threads)
    clip, t5, tr, flow_steps = train_flow(args, banks, WordTokenizer(domain.vocabulary()), log, dec, shift, scale)
    # Weights for later fine-tuning or re-export (ignored by git; the ONNX files are the product).
    torch.save({"encoder": enc.state_dict(), "decoder": dec.state_dict(), "clip": clip.state_dict(),
                "t5": t5.state_dict(), "transformer": tr.state_dict(), "shift": shift, "scale": scale,
                "args": vars(args)}, os.path.join(ckpt, f"tiny-shapes-{args.seed}.pt"))
    check = quick_check(clip, t5, tr, dec, shift, scale)
    print(f"quick check (Python analyzer, 4 steps, 120 scenes): {check}", flush=True)
    info = {"seed": args.seed, "vae_val_mse": vae_mse, "flow_steps": flow_steps,
            "vae_seconds": round(vae_seconds), "flow_seconds": round(time.time() - t_flow),
            "train_seconds": round(vae_seconds + time.time() - t_flow), "quick_check": check, "args": vars(args)}
    export_all(args.out, clip, t5, tr, dec, shift, scale, TEXT_LEN, info)
    print(json.dumps(info), flush=True)


@torch.no_grad()
def quick_check(clip, t5, tr, dec, shift, scale, n=120):
    """4-step samples of fresh one-shape captions, read by analyze.py: a progress figure in the
    eval's terms (npm run eval:adherence, on its own prompts, stays the judge)."""
    rng = random.Random(77)
    scenes = [domain.sample_scene(rng, two_shapes_p=0) for _ in range(n)]
    tok = WordTokenizer(domain.vocabulary())
    ids = torch.tensor([tok(domain.caption(s, rng, drop_p=0, noise_p=0)) for s in scenes], dtype=torch.int32)
    _, pooled = clip(ids)
    seq = t5(ids)
    x = torch.randn(n, 16, 64, generator=torch.Generator().manual_seed(11))
    sigmas = INFERENCE_SIGMAS + [0.0]
    for i in range(4):
        v = tr(x, seq, pooled, torch.full((n,), sigmas[i]), img_ids(8, 8), torch.zeros(TEXT_LEN, 3))
        x = x + (sigmas[i + 1] - sigmas[i]) * v
    images = ((dec(unpack(x, 8, 8) / scale + shift).permute(0, 2, 3, 1).numpy() + 1) * 127.5).round().clip(0, 255)
    return {k: round(v, 3) for k, v in analyze.score(list(images.astype(np.uint8)), scenes).items()}


if __name__ == "__main__":
    main()
