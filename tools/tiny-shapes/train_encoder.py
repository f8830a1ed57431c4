"""A VAE encoder for an already shipped tiny-shapes model (images in: image-to-image).

    OMP_NUM_THREADS=2 /usr/bin/python3 tools/tiny-shapes/train_encoder.py --model models/tiny-shapes

The autoencoder's encoder half was never kept (only the ONNX decoder ships), so a new encoder is
trained against the frozen shipped decoder. Two losses:
- reconstruction of rendered scenes through the frozen decoder (edge-weighted, as in train.py);
- agreement with the latents the shipped flow model itself produces: 4-step samples of training
  captions, decoded, must encode back to the latent they came from. A decoder maps many latents to
  one image; this picks the ones the flow transformer knows, so encoded images can be noised and
  denoised (image-to-image) without first being pulled onto the model's manifold.
Writes <model>/vae_encoder.onnx, adds files.vaeEncoder to model.json, and records the run in
training.json ("encoder"). Checkpoint (resumable): tools/tiny-shapes/checkpoints/encoder.pt.
"""
import argparse
import json
import math
import os
import random
import time

import numpy as np
import torch
import torch.nn.functional as F

import domain
import export
import model as nets
import onnx_weights
from train import INFERENCE_SIGMAS, WordTokenizer, edge_weighted_loss, img_ids, pack, to_tensor, unpack


def load_shipped(model_dir, text_len):
    vocab = len(json.load(open(os.path.join(model_dir, "tokenizer.json")))["model"]["vocab"])
    m = json.load(open(os.path.join(model_dir, "model.json")))
    f = lambda name: os.path.join(model_dir, m["files"][name])  # noqa: E731
    dec = onnx_weights.load_onnx_weights(nets.Decoder(), f("vaeDecoder"), export.export_decoder)
    clip = onnx_weights.load_onnx_weights(nets.TextEncoder(vocab, text_len, 64, pooled=True), f("clip"), export.export_clip, text_len)
    t5 = onnx_weights.load_onnx_weights(nets.TextEncoder(vocab, text_len, 64), f("t5"), export.export_t5, text_len)
    tr = onnx_weights.load_onnx_weights(nets.FlowTransformer(64, 64, width=128, double=2, single=2), f("transformer"),
                                        export.export_transformer, text_len)
    return m, dec.eval(), clip.eval(), t5.eval(), tr.eval()


@torch.no_grad()
def generated_bank(clip, t5, tr, dec, tok, n, seed, text_len, size=64):
    """(normalized unpacked latents, decoded images) of 4-step samples of fresh captions."""
    rng = random.Random(seed)
    gen = torch.Generator().manual_seed(seed)
    lats, imgs = [], []
    for start in range(0, n, 64):
        b = min(64, n - start)
        scenes = [domain.sample_scene(rng) for _ in range(b)]
        ids = torch.tensor([tok(domain.caption(s, rng), text_len) for s in scenes], dtype=torch.int32)
        _, pooled = clip(ids)
        seq = t5(ids)
        h = size // 8
        x = torch.randn(b, (h // 2) ** 2, 64, generator=gen)
        sig = INFERENCE_SIGMAS + [0.0]
        for i in range(4):
            v = tr(x, seq, pooled, torch.full((b,), sig[i]), img_ids(h, h), torch.zeros(text_len, 3))
            x = x + (sig[i + 1] - sig[i]) * v
        lats.append(unpack(x, h, h))
    return torch.cat(lats)


def psnr(a, b):
    """dB on images in [-1, 1] (peak-to-peak 2), per image, then averaged."""
    mse = (a - b).pow(2).flatten(1).mean(1).clamp(min=1e-10)
    return (10 * torch.log10(4.0 / mse)).mean().item()


def render(rng, n, w, h, max_shapes):
    scenes = [domain.sample_scene(rng, max_shapes=max_shapes) for _ in range(n)]
    return to_tensor([domain.render(s, w, h, rng) for s in scenes])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="models/tiny-shapes")
    ap.add_argument("--seed", type=int, default=20261201)
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--batch", type=int, default=24)
    ap.add_argument("--gen-bank", type=int, default=1536, help="flow-model samples for the latent-agreement loss")
    ap.add_argument("--latent-weight", type=float, default=0.02)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    dev = torch.device(args.device)
    text_len = 24
    t0 = time.time()
    manifest, dec, clip, t5, tr = load_shipped(args.model, text_len)
    shift, scale = manifest["vae"]["shiftFactor"], manifest["vae"]["scalingFactor"]
    tok = WordTokenizer(json.load(open(os.path.join(args.model, "tokenizer.json")))["model"]["vocab"])
    ckpt = os.path.join(os.path.dirname(os.path.abspath(__file__)), "checkpoints", "encoder.pt")
    os.makedirs(os.path.dirname(ckpt), exist_ok=True)

    enc = nets.Encoder().to(dev)
    opt = torch.optim.Adam(enc.parameters(), lr=2e-3)
    step, log, best = 0, [], (-1.0, None)
    if args.resume and os.path.exists(ckpt):
        ck = torch.load(ckpt)
        enc.load_state_dict(ck["encoder"])
        opt.load_state_dict(ck["opt"])
        step, log, best = ck["step"], ck["log"], (ck["best_psnr"], ck["best"])
        print(f"resumed at step {step}", flush=True)
    export_only = step >= args.steps  # resumed only to export (no generated bank needed)
    bank_file = os.path.join(os.path.dirname(ckpt), f"encoder-bank-{args.seed}-{args.gen_bank}.pt")
    if export_only:
        gen_lat = gen_img = None
    elif os.path.exists(bank_file):  # 4-step sampling of the bank takes minutes on a busy CPU
        gen_lat, gen_img = torch.load(bank_file)
    else:
        gen_lat = generated_bank(clip, t5, tr, dec, tok, args.gen_bank, args.seed + 1, text_len)
        with torch.no_grad():
            gen_img = torch.cat([dec(gen_lat[i:i + 128] / scale + shift) for i in range(0, len(gen_lat), 128)])
        torch.save((gen_lat, gen_img), bank_file)
    print(f"generated bank {0 if export_only else len(gen_lat)} in {time.time() - t0:.0f}s", flush=True)
    dec.to(dev).requires_grad_(False)
    val = render(random.Random(12345), 192, 64, 64, 3).to(dev)
    rng = random.Random(args.seed)
    t_train = time.time()
    while step < args.steps:
        frac = step / args.steps
        for g in opt.param_groups:
            g["lr"] = 2e-3 * min(1.0, (step + 1) / 50) * 0.5 * (1 + math.cos(math.pi * frac))
        w, h = (64, 64) if rng.random() < 0.8 else rng.choice([(128, 128), (96, 64), (64, 128)])
        bsz = args.batch if w * h <= 64 * 64 else max(4, args.batch // 4)
        x = render(rng, bsz, w, h, 3).to(dev)
        idx = torch.randint(0, len(gen_lat), (bsz // 2,))
        xg, zg = gen_img[idx].to(dev), gen_lat[idx].to(dev)
        err = dec(enc(x)) - x
        rec = edge_weighted_loss(err, x)
        zg_hat = (enc(xg) - shift) * scale
        rec_gen = F.mse_loss(dec(zg_hat / scale + shift), xg)
        lat = F.mse_loss(zg_hat, zg)
        loss = rec + rec_gen + args.latent_weight * lat
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(enc.parameters(), 1.0)
        opt.step()
        step += 1
        if step % 50 == 0 or step == args.steps:
            with torch.no_grad():
                p = psnr(dec(enc(val)), val)
            log.append(("encoder", step, round(time.time() - t_train, 1), round(loss.item(), 5), round(p, 3), round(lat.item(), 5)))
            print(f"encoder step {step} t={time.time() - t_train:.0f}s loss={loss.item():.4f} latent_mse={lat.item():.4f} val_psnr={p:.2f}dB", flush=True)
            if p > best[0]:
                best = (p, {k: v.detach().clone() for k, v in enc.state_dict().items()})
            torch.save({"encoder": enc.state_dict(), "opt": opt.state_dict(), "step": step, "log": log,
                        "best_psnr": best[0], "best": best[1], "args": vars(args)}, ckpt)
    enc.load_state_dict(best[1])
    enc = enc.cpu().eval()
    dec = dec.cpu()
    with torch.no_grad():
        report = {}
        for (w, h) in [(64, 64), (128, 128), (256, 256), (128, 64)]:
            xs = render(random.Random(999), 48 if w * h <= 128 * 128 else 12, w, h, 3)
            report[f"{w}x{h} (1-3 shapes)"] = round(psnr(dec(enc(xs)), xs), 2)
        xs = render(random.Random(998), 48, 64, 64, 1)
        report["64x64 (1 shape)"] = round(psnr(dec(enc(xs)), xs), 2)
        if gen_img is not None:
            z = (enc(gen_img[:256]) - shift) * scale
            report["generated_latent_mse"] = round(F.mse_loss(z, gen_lat[:256]).item(), 4)
            report["encoded_std"] = round(z.std().item(), 4)
    print(f"round-trip PSNR (dB) on fresh 1-3 shape renders: {report}", flush=True)
    with torch.no_grad():
        export.export_encoder(enc, os.path.join(args.model, "vae_encoder.onnx"))
    manifest["files"]["vaeEncoder"] = "vae_encoder.onnx"
    with open(os.path.join(args.model, "model.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    info_file = os.path.join(args.model, "training.json")
    info = json.load(open(info_file))
    info["encoder"] = {"seed": args.seed, "steps": step, "seconds": round(time.time() - t0), "best_val_psnr": round(best[0], 2),
                       "round_trip_psnr": report, "args": vars(args),
                       "log_columns": ["stage", "step", "seconds", "loss", "val_psnr", "latent_mse"], "log": log}
    with open(info_file, "w") as f:
        json.dump(info, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
