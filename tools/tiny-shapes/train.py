"""Train and export models/tiny-shapes v2 (FLUX.1 ONNX interface, schnell variant).

Fine-tune the shipped model (2-core CPU, checkpointed, resumable):
    OMP_NUM_THREADS=1 /usr/bin/python3 tools/tiny-shapes/train.py --init-from models/tiny-shapes \\
        --encoder tools/tiny-shapes/checkpoints/encoder.pt --out /tmp/v2 [--resume]
From scratch (autoencoder first; hours on 2 cores, minutes on a GPU with --device cuda):
    /usr/bin/python3 tools/tiny-shapes/train.py --out /tmp/v2 --flow-steps 12000

Stages: (1) the autoencoder — trained here, or the shipped decoder read back from its ONNX file
plus the encoder of train_encoder.py; (2) latent statistics -> scaling/shift (kept from the
shipped manifest when fine-tuning, so the decoder's input range stays the same); (3) scenes of
1-3 shapes rendered fresh every step at sizes from 32 to 256 px and encoded by the frozen encoder; (4) rectified-flow
training of both text encoders + transformer on captions drawn fresh every step from the v2
grammar (domain.py), with EMA weights, a checkpoint every --save-every steps and --resume;
(5) a quick check of 4-step samples with analyze.py; (6) ONNX export (vae_encoder.onnx too),
manifest, tokenizer.json, domain.json, training.json and training-log.csv.
"""
import argparse
import json
import math
import os
import random
import re
import shutil
import time

import numpy as np
import torch
import torch.nn.functional as F

import analyze
import domain
import export
import model as nets
import onnx_weights

TEXT_LEN = 48
WIDTH_TEXT = 64
INFERENCE_SIGMAS = [1.0, 0.75, 0.5, 0.25]
# (width, height) -> share of training steps; each step holds about the same number of image tokens.
SIZE_MIX = {(64, 64): 0.5, (32, 32): 0.03, (48, 48): 0.03, (96, 64): 0.05, (64, 96): 0.05, (96, 96): 0.05,
            (128, 64): 0.04, (64, 128): 0.04, (128, 128): 0.08, (192, 128): 0.03, (160, 160): 0.03,
            (256, 256): 0.05, (256, 128): 0.02}
# The sizes the API asks for besides the square ones (aspect_ratio near the 64x64 base and the
# Ultra sizes at 4x, packages/contracts/src/aspect-ratio.ts), so that those render at a trained
# size instead of being stretched from the nearest one; less 64x64 than SIZE_MIX (it is learnt).
API_SIZE_MIX = {(64, 64): 0.30, (32, 32): 0.02, (48, 48): 0.02, (96, 96): 0.02, (160, 160): 0.02,
                (128, 128): 0.08, (256, 256): 0.06, (192, 128): 0.02, (256, 128): 0.02,
                (96, 64): 0.03, (64, 96): 0.03, (128, 64): 0.03, (64, 128): 0.03,
                # aspect ratios at the base pixel count: 16:9 and 3:2, 4:3, 21:9 and their portraits
                (80, 48): 0.04, (48, 80): 0.04, (64, 48): 0.04, (48, 64): 0.04, (96, 48): 0.04, (48, 96): 0.04,
                # Ultra: 16:9, 4:3, 3:2, 21:9 and their portraits at four times the base pixels
                (176, 96): 0.01, (96, 176): 0.01, (144, 112): 0.01, (112, 144): 0.01,
                (144, 96): 0.01, (96, 144): 0.01, (192, 80): 0.01, (80, 192): 0.01}
SIZE_MIXES = {"v2": SIZE_MIX, "api": API_SIZE_MIX}


class WordTokenizer:
    """Mirror of tokenizer.json: BertNormalizer (lowercase, accents stripped), BertPreTokenizer
    (words and single punctuation marks), WordPiece (greedy longest match, "##" continuations,
    [UNK] only for a word with a character no piece covers), [CLS] … [SEP], [PAD]=0."""

    def __init__(self, vocab):
        self.ids = {w: i for i, w in enumerate(vocab)}

    def pieces(self, word):
        out, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                sub = word[start:end] if start == 0 else "##" + word[start:end]
                if sub in self.ids:
                    break
                end -= 1
            if end == start:
                return ["[UNK]"]
            out.append(sub)
            start = end
        return out

    def tokens(self, text):
        words = re.findall(r"[^\W_]+|[^\w\s]|_", domain.normalize(text))
        return [p for w in words if len(w) <= 100 for p in self.pieces(w)]

    def __call__(self, text, length=TEXT_LEN):
        ids = [self.ids["[CLS]"]] + [self.ids[t] for t in self.tokens(text)]
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


def render_batch(rng, n, width=64, height=64, max_shapes=3):
    scenes = [domain.sample_scene(rng, max_shapes=max_shapes) for _ in range(n)]
    return scenes, to_tensor([domain.render(s, width, height, rng) for s in scenes])


def edge_map(x):
    """1 where a pixel or one of its 8 neighbours differs in colour from another, else 0: [B,1,H,W]."""
    dx = (x[..., :, 1:] - x[..., :, :-1]).abs().sum(1, keepdim=True) > 1e-3
    dy = (x[..., 1:, :] - x[..., :-1, :]).abs().sum(1, keepdim=True) > 1e-3
    change = F.pad(dx.float(), (0, 1, 0, 0)) + F.pad(dy.float(), (0, 0, 0, 1))
    return (F.max_pool2d(change, 3, stride=1, padding=1) > 0).float()


def edge_weighted_loss(err, x):
    """Reconstruction loss with shape edges weighted 5x (MSE plus a tenth of L1): small shapes are
    mostly edge, and a plain MSE lets the decoder round them off."""
    weight = 1.0 + 4.0 * edge_map(x)
    return ((weight * err.pow(2)).mean() + 0.1 * (weight * err.abs()).mean()) / weight.mean()


def train_autoencoder(args, rng, log):
    """From scratch only (fine-tuning keeps the shipped decoder)."""
    enc, dec = nets.Encoder().to(args.device), nets.Decoder().to(args.device)
    params = list(enc.parameters()) + list(dec.parameters())
    opt = torch.optim.Adam(params, lr=2e-3)
    _, val = render_batch(random.Random(12345), 256)
    val = val.to(args.device)
    best, best_state, step, t0 = float("inf"), None, 0, time.time()
    while step < args.vae_steps:
        frac = step / args.vae_steps
        for g in opt.param_groups:
            g["lr"] = 2e-3 * min(1.0, (step + 1) / 50) * 0.5 * (1 + math.cos(math.pi * frac))
        _, x = render_batch(rng, args.vae_batch)
        x = x.to(args.device)
        z = enc(x)
        # Noise on the latent makes the decoder tolerant of imperfect flow samples.
        err = dec(z + 0.05 * z.detach().std() * torch.randn_like(z)) - x
        # Pixels next to a colour change weigh 5x: a rounded corner turns a square into a circle.
        loss = edge_weighted_loss(err, x) + 1e-4 * z.pow(2).mean()
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
    enc.load_state_dict(best_state[0])
    dec.load_state_dict(best_state[1])
    return enc.cpu().eval(), dec.cpu().eval(), best


def sample_sigmas(n):
    fixed = torch.tensor(INFERENCE_SIGMAS)[torch.randint(0, 4, (n,))]
    uniform = torch.sigmoid(torch.randn(n))  # logit-normal, as in SD3/FLUX training
    return torch.where(torch.rand(n) < 0.5, fixed, uniform)


def remap_text_encoder(old, old_vocab, new_vocab, length):
    """A TextEncoder for the new vocabulary and length with the old one's weights: rows of words
    in both vocabularies are copied, new pieces start near the [UNK] row (what they were read as
    before), positions past the old length start from the last trained one."""
    new = nets.TextEncoder(len(new_vocab), length, WIDTH_TEXT, pooled=old.pooled)
    sd = {k: v for k, v in old.state_dict().items() if k not in ("embed.weight", "pos")}
    new.load_state_dict(sd, strict=False)
    old_ids = {w: i for i, w in enumerate(old_vocab)}
    with torch.no_grad():
        unk = old.embed.weight[old_ids["[UNK]"]]
        for i, w in enumerate(new_vocab):
            src = old.embed.weight[old_ids[w]] if w in old_ids else unk + 0.02 * torch.randn_like(unk)
            new.embed.weight[i] = src
        n_old = old.pos.shape[0]
        new.pos[:n_old] = old.pos
        new.pos[n_old:] = old.pos[-1:] + 0.01 * torch.randn(length - n_old, WIDTH_TEXT)
    return new


def save_checkpoint(path, step, modules, ema, opt, curve_rows, args):
    tmp = path + ".tmp"
    torch.save({"step": step, "modules": modules.state_dict(), "ema": ema.state_dict(), "opt": opt.state_dict(),
                "curve": curve_rows, "args": vars(args), "rng": torch.get_rng_state()}, tmp)
    os.replace(tmp, path)


def train_flow(args, enc, tok, log, curve_rows, dec, shift, scale, init, ckpt_file):
    clip, t5, tr = init
    enc = enc.to(args.device)
    modules = torch.nn.ModuleList([clip, t5, tr]).to(args.device)
    ema = torch.optim.swa_utils.AveragedModel(
        modules, avg_fn=lambda avg, cur, n: avg * args.ema + cur * (1 - args.ema) if n > 0 else cur)
    opt = torch.optim.AdamW(modules.parameters(), lr=args.lr, weight_decay=0.01)
    step = 0
    if args.resume and os.path.exists(ckpt_file):
        ck = torch.load(ckpt_file, map_location=args.device)  # a GPU run's checkpoint loads here too
        modules.load_state_dict(ck["modules"])
        ema.load_state_dict(ck["ema"])
        opt.load_state_dict(ck["opt"])
        step = ck["step"]
        curve_rows[:] = ck["curve"]
        torch.set_rng_state(ck["rng"])
        print(f"resumed flow training at step {step}", flush=True)
    rng = random.Random(args.seed + 2 + step)
    txt_ids = torch.zeros(TEXT_LEN, 3, device=args.device)
    sizes = list(SIZE_MIX)
    weights = [SIZE_MIX[s] for s in sizes]
    t0 = time.time() - (curve_rows[-1][2] if curve_rows else 0.0)
    enc_mtime = os.path.getmtime(args.encoder) if args.encoder else 0
    while step < args.flow_steps:
        if args.stop_at and time.time() > args.stop_at:
            print(f"stopping at step {step}: --stop-at reached", flush=True)
            break
        frac = step / args.flow_steps
        warm = min(1.0, (step + 1) / args.warmup)
        for g in opt.param_groups:
            g["lr"] = args.lr * warm * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * frac)))
        size = rng.choices(sizes, weights)[0]
        if args.encoder_reload and step % 50 == 0 and os.path.getmtime(args.encoder) > enc_mtime:
            # the encoder is still training next to this run: take its best weights so far
            try:
                state = torch.load(args.encoder)["best"]
                enc.load_state_dict(state)
                enc_mtime = os.path.getmtime(args.encoder)
                print(f"step {step}: reloaded the encoder", flush=True)
            except Exception as err:  # caught mid-write: try again 50 steps later
                print(f"step {step}: encoder not reloaded ({err})", flush=True)
        # Fresh scenes every step, encoded by the frozen encoder: no bank to build first, and no
        # scene seen twice (encoding a batch costs far less than the transformer's step).
        bsz = max(2, round(args.batch * 16 / (size[0] * size[1] / 256)))
        with torch.no_grad():
            scenes, x = render_batch(rng, bsz, size[0], size[1])
            x0 = pack((enc(x.to(args.device)) - shift) * scale)
        ids = torch.tensor([tok(domain.caption(sc, rng)) for sc in scenes], dtype=torch.int32, device=args.device)
        sigma = sample_sigmas(bsz).to(args.device)
        noise = torch.randn_like(x0)
        xt = (1 - sigma[:, None, None]) * x0 + sigma[:, None, None] * noise
        _, pooled = clip(ids)
        seq = t5(ids)
        v = tr(xt, seq, pooled, sigma, img_ids(size[1] // 8, size[0] // 8).to(args.device), txt_ids)
        loss = F.mse_loss(v, noise - x0)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(modules.parameters(), 1.0)
        opt.step()
        ema.update_parameters(modules)
        step += 1
        if step % 25 == 0:
            log("flow", step, time.time() - t0, loss.item(), None)
        if step % args.save_every == 0:
            save_checkpoint(ckpt_file, step, modules, ema, opt, curve_rows, args)
        if args.check_every and step % args.check_every == 0 and step < args.flow_steps:
            print(f"quick check at step {step}: {quick_check(*[m.cpu() for m in ema.module], dec, shift, scale, tok, n=48)}", flush=True)
            ema.module.to(args.device)
    save_checkpoint(ckpt_file, step, modules, ema, opt, curve_rows, args)
    clip_e, t5_e, tr_e = [m.cpu().eval() for m in ema.module]
    return clip_e, t5_e, tr_e, step


def load_shipped(model_dir, new_vocab):
    """Decoder, text encoders and transformer of a shipped model folder, read from its ONNX files."""
    m = json.load(open(os.path.join(model_dir, "model.json")))
    old_vocab = [w for w, _ in sorted(json.load(open(os.path.join(model_dir, m["tokenizers"]["t5"])))["model"]["vocab"].items(),
                                        key=lambda kv: kv[1])]
    n = m["textLengths"]["t5"]
    f = lambda name: os.path.join(model_dir, m["files"][name])  # noqa: E731
    dec = onnx_weights.load_onnx_weights(nets.Decoder(), f("vaeDecoder"), export.export_decoder)
    clip = onnx_weights.load_onnx_weights(nets.TextEncoder(len(old_vocab), n, WIDTH_TEXT, pooled=True), f("clip"), export.export_clip, n)
    t5 = onnx_weights.load_onnx_weights(nets.TextEncoder(len(old_vocab), n, WIDTH_TEXT), f("t5"), export.export_t5, n)
    tr = onnx_weights.load_onnx_weights(nets.FlowTransformer(WIDTH_TEXT, WIDTH_TEXT, width=128, double=2, single=2),
                                        f("transformer"), export.export_transformer, n)
    clip = remap_text_encoder(clip, old_vocab, new_vocab, TEXT_LEN)
    t5 = remap_text_encoder(t5, old_vocab, new_vocab, TEXT_LEN)
    return m, dec.eval(), (clip, t5, tr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="models/tiny-shapes")
    ap.add_argument("--seed", type=int, default=20261201)
    ap.add_argument("--device", default="cpu", help="cpu or cuda (the GPU machine: PyTorch 2.x with CUDA)")
    ap.add_argument("--init-from", help="a shipped model folder to fine-tune (its decoder stays frozen)")
    ap.add_argument("--encoder", help="encoder checkpoint of train_encoder.py (with --init-from; default: the folder's vae_encoder.onnx)")
    # Step counts, not time limits, so the result does not depend on how busy the machine is.
    ap.add_argument("--vae-steps", type=int, default=3000)
    ap.add_argument("--vae-batch", type=int, default=32)
    ap.add_argument("--flow-steps", type=int, default=3000)
    ap.add_argument("--batch", type=int, default=24, help="images per step at 64x64 (as many image tokens at other sizes)")
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--ema", type=float, default=0.995)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--save-every", type=int, default=100)
    ap.add_argument("--check-every", type=int, default=0, help="quick check of the EMA weights every N flow steps (0: never)")
    ap.add_argument("--stop-at", type=float, default=0, help="unix time: stop early (and export) when reached")
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--skip-export", action="store_true",
                    help="stop after training (checkpoint only): export later with --resume on a machine with torch 1.13's exporter")
    ap.add_argument("--encoder-reload", action="store_true", help="reload --encoder when it changes (train_encoder.py still running)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    ckpt = os.path.join(os.path.dirname(os.path.abspath(__file__)), "checkpoints")
    os.makedirs(ckpt, exist_ok=True)
    vocab = domain.vocabulary()
    tok = WordTokenizer(vocab)
    curve_rows = []
    t_all = time.time()

    def log(stage, step, secs, loss, val):
        curve_rows.append((stage, step, round(secs, 1), round(loss, 5), val))
        print(f"{stage} step {step} t={secs:.0f}s loss={loss:.4f}" + ("" if val is None else f" val={val:.4f}"), flush=True)

    if args.init_from:
        manifest, dec, init = load_shipped(args.init_from, vocab)
        shift, scale = manifest["vae"]["shiftFactor"], manifest["vae"]["scalingFactor"]
        if args.encoder:
            enc = nets.Encoder()
            enc.load_state_dict(torch.load(args.encoder)["best"])  # train_encoder.py's best checkpoint
        else:  # the shipped vae_encoder.onnx, read back into torch
            enc = onnx_weights.load_onnx_weights(nets.Encoder(), os.path.join(args.init_from, manifest["files"]["vaeEncoder"]),
                                                 export.export_encoder)
        enc.eval()
        vae_seconds = 0
    else:
        enc, dec, _ = train_autoencoder(args, random.Random(args.seed), log)
        vae_seconds = time.time() - t_all
        with torch.no_grad():
            _, x = render_batch(random.Random(7), 1024)
            z = enc(x)
            shift, scale = z.mean().item(), 1.0 / z.std().item()
        clip = nets.TextEncoder(len(vocab), TEXT_LEN, WIDTH_TEXT, pooled=True)
        t5 = nets.TextEncoder(len(vocab), TEXT_LEN, WIDTH_TEXT)
        init = (clip, t5, nets.FlowTransformer(WIDTH_TEXT, WIDTH_TEXT, width=128, double=2, single=2))
    t_flow = time.time()
    torch.set_num_threads(args.threads)
    ckpt_file = os.path.join(ckpt, f"flow-{args.seed}.pt")
    clip, t5, tr, flow_steps = train_flow(args, enc, tok, log, curve_rows, dec, shift, scale, init, ckpt_file)
    if args.skip_export:
        print(f"checkpoint {ckpt_file} at step {flow_steps}; export with --resume --flow-steps {flow_steps}", flush=True)
        return
    check = quick_check(clip, t5, tr, dec, shift, scale, tok)
    print(f"quick check (Python analyzer, 4 steps, 64x64): {check}", flush=True)
    flow_seconds = curve_rows[-1][2] if curve_rows else 0
    info = {"seed": args.seed, "recipe": "v2", "init_from": args.init_from, "flow_steps": flow_steps,
            "vae_seconds": round(vae_seconds), "flow_seconds": round(flow_seconds),
            "wall_seconds_this_run": round(time.time() - t_all), "quick_check": check, "args": vars(args)}
    with open(os.path.join(args.out, "training-log.csv"), "w") as f:
        f.write("stage,step,seconds,loss,val_mse\n")
        for stage, step, secs, loss, val in curve_rows:
            f.write(f"{stage},{step},{secs},{loss},{'' if val is None else val}\n")
    if args.init_from:
        prev = json.load(open(os.path.join(args.init_from, "training.json")))
        info["encoder"] = prev.get("encoder")
        info["base_model"] = {k: prev[k] for k in ("seed", "flow_steps", "train_seconds", "args") if k in prev}
    extra = {}
    if args.init_from:
        # fields of the base model's manifest that training does not make (ultra, baseSize,
        # maxPixels, moderation) are kept, and the files they name copied
        extra = {k: v for k, v in manifest.items() if k not in ("files", "tokenizers", "textLengths", "vae")}
        classifier = manifest.get("moderation", {}).get("classifier")
        if classifier:
            shutil.copyfile(os.path.join(args.init_from, classifier), os.path.join(args.out, classifier))
    export.export_all(args.out, clip, t5, tr, dec, shift, scale, TEXT_LEN, info, enc=enc, extra=extra)
    print(json.dumps(info), flush=True)


@torch.no_grad()
def sample(clip, t5, tr, dec, shift, scale, tok, captions, w=64, h=64, seed=11):
    ids = torch.tensor([tok(c) for c in captions], dtype=torch.int32)
    _, pooled = clip(ids)
    seq = t5(ids)
    x = torch.randn(len(captions), (h // 16) * (w // 16), 64, generator=torch.Generator().manual_seed(seed))
    sigmas = INFERENCE_SIGMAS + [0.0]
    for i in range(4):
        v = tr(x, seq, pooled, torch.full((len(captions),), sigmas[i]), img_ids(h // 8, w // 8), torch.zeros(TEXT_LEN, 3))
        x = x + (sigmas[i + 1] - sigmas[i]) * v
    images = ((dec(unpack(x, h // 8, w // 8) / scale + shift).permute(0, 2, 3, 1).numpy() + 1) * 127.5).round().clip(0, 255)
    return list(images.astype(np.uint8))


@torch.no_grad()
def quick_check(clip, t5, tr, dec, shift, scale, tok, n=96):
    """4-step samples of fresh captions (all attributes named) read by analyze.py: share of
    scenes fully right, by shape count — a progress figure; npm run eval:adherence judges."""
    rng = random.Random(77)
    out = {}
    for k in (1, 2, 3):
        scenes = []
        while len(scenes) < n // 3:
            s = domain.sample_scene(rng, max_shapes=3)
            if len(s["shapes"]) == k:
                scenes.append(s)
        images = sample(clip, t5, tr, dec, shift, scale, tok, [domain.caption(s, rng, omit_p=0) for s in scenes])
        out[f"{k}_shape"] = round(analyze.scene_accuracy(images, scenes), 3)
    return out


if __name__ == "__main__":
    main()
