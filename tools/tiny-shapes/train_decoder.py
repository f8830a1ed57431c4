"""Fine-tunes the shipped VAE decoder on the shipped encoder's latents (encoder frozen).

    OMP_NUM_THREADS=2 /usr/bin/python3 tools/tiny-shapes/train_decoder.py --model models/tiny-shapes --out /tmp/dec

Why: at 64x64 (an 8x8 latent) the decoder draws small squares and triangles as blobs that read
as circles even when it is given the encoder's latent of a clean render, which caps the shape
accuracy of every 64x64 image. The flow model was trained on this encoder's latents, so teaching
the decoder to draw them faithfully changes what the same latents look like, not which latents
the flow model makes. Writes <out>/vae_decoder.onnx (copy it into the model folder to ship it);
checkpoint (resumable): <out>/decoder.pt. Prints round-trip PSNR and per-class checks.
"""
import argparse
import json
import math
import os
import random
import time

import torch

import export
import model as nets
import onnx_weights
from train import edge_weighted_loss
from train_encoder import psnr, render


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="models/tiny-shapes")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=20261203)
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--stop-at", type=float, default=0, help="unix time: checkpoint and stop (resume later)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    m = json.load(open(os.path.join(args.model, "model.json")))
    f = lambda name: os.path.join(args.model, m["files"][name])  # noqa: E731
    dec = onnx_weights.load_onnx_weights(nets.Decoder(), f("vaeDecoder"), export.export_decoder)
    enc = onnx_weights.load_onnx_weights(nets.Encoder(), f("vaeEncoder"), export.export_encoder).eval().requires_grad_(False)
    opt = torch.optim.Adam(dec.parameters(), lr=args.lr)
    ckpt = os.path.join(args.out, "decoder.pt")
    step, log = 0, []
    if os.path.exists(ckpt):
        ck = torch.load(ckpt)
        dec.load_state_dict(ck["decoder"])
        opt.load_state_dict(ck["opt"])
        step, log = ck["step"], ck["log"]
        print(f"resumed at step {step}", flush=True)
    val = render(random.Random(12345), 96, 64, 64, 3)
    with torch.no_grad():
        z_val = enc(val)
        print(f"start: val PSNR {psnr(dec(z_val), val):.2f} dB", flush=True)
    rng = random.Random(args.seed + step)
    t0 = time.time()
    while step < args.steps:
        if args.stop_at and time.time() > args.stop_at:
            break
        frac = step / args.steps
        for g in opt.param_groups:
            g["lr"] = args.lr * min(1.0, (step + 1) / 20) * 0.5 * (1 + math.cos(math.pi * frac))
        # mostly 64x64, where small shapes fail; every other trained size too, so none gets worse
        w, h = (64, 64) if rng.random() < 0.6 else rng.choice([(32, 32), (48, 48), (128, 128), (96, 64), (64, 128), (128, 64), (256, 256)])
        bsz = max(2, args.batch * 64 * 64 // (w * h)) if w * h > 64 * 64 else args.batch
        x = render(rng, bsz, w, h, 3)
        with torch.no_grad():
            z = enc(x)
        err = dec(z) - x
        loss = edge_weighted_loss(err, x)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(dec.parameters(), 1.0)
        opt.step()
        step += 1
        if step % 25 == 0 or step == args.steps:
            with torch.no_grad():
                p = psnr(dec(z_val), val)
            log.append(("decoder", step, round(time.time() - t0, 1), round(loss.item(), 5), round(p, 3)))
            print(f"decoder step {step} t={time.time() - t0:.0f}s loss={loss.item():.4f} val_psnr={p:.2f}dB", flush=True)
            torch.save({"decoder": dec.state_dict(), "opt": opt.state_dict(), "step": step, "log": log, "args": vars(args)}, ckpt)
    with torch.no_grad():
        export.export_decoder(dec.eval(), os.path.join(args.out, "vae_decoder.onnx"))
    json.dump({"seed": args.seed, "steps": step, "args": vars(args), "log_columns": ["stage", "step", "seconds", "loss", "val_psnr"], "log": log},
              open(os.path.join(args.out, "decoder-training.json"), "w"), indent=1)
    print(f"exported {os.path.join(args.out, 'vae_decoder.onnx')} at step {step}", flush=True)


if __name__ == "__main__":
    main()
