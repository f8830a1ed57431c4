"""Train and export tiny-shapes with slot conditioning (recipe "slots"; see slots.py).

Three stages, each resumable, each its own process (the parser and the image model do not
depend on each other: the image model trains on ground-truth slot embeddings):
    # 1. the parser (text only; minutes)
    OMP_NUM_THREADS=1 /usr/bin/python3 tools/tiny-shapes/train_slots.py parser --parser-steps 4000
    # 2. the image model, fine-tuned from the v1 transformer (frozen v1 VAE). The v1 folder is
    #    models/tiny-shapes before the slot model shipped:
    #    mkdir /tmp/v1 && git archive ec7150f models/tiny-shapes | tar -x -C /tmp/v1
    OMP_NUM_THREADS=1 nice -n -5 /usr/bin/python3 tools/tiny-shapes/train_slots.py flow \\
        --init-from /tmp/v1/models/tiny-shapes --flow-steps 45000 [--resume] [--stop-at UNIX_TIME]
    #    (--init-from a slot model folder, e.g. the shipped one, continues from its transformer)
    # 3. export (torch 1.13's exporter): ONNX files, manifest, tokenizer, training.json/-log.csv
    #    (--init-from: any tiny-shapes folder; only its VAE and manifest fields are read)
    /usr/bin/python3 tools/tiny-shapes/train_slots.py export --init-from models/tiny-shapes --out /tmp/cand/tiny-shapes
`--device cuda` trains stages 1-2 on a GPU (checkpoints load on the CPU for export).
Checkpoints: tools/tiny-shapes/checkpoints/slots-{parser,flow}-<seed>.pt.
"""
import argparse
import json
import math
import os
import random
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
import slots
import train

TEXT_LEN = 64  # room for 3 shapes, a background and unknown words spelt letter by letter
CKPT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "checkpoints")


class Tokenizer(train.WordTokenizer):
    def __init__(self, vocab, length=TEXT_LEN):
        super().__init__(vocab)
        self.length = length

    def __call__(self, text, length=None):
        return super().__call__(text, length or self.length)


def ckpt_path(kind, seed):
    os.makedirs(CKPT_DIR, exist_ok=True)
    return os.path.join(CKPT_DIR, f"slots-{kind}-{seed}.pt")


def load_shipped_parts(model_dir, transformer=True):
    """Frozen encoder and decoder, and the transformer to start from, read from the ONNX files of
    a v1 model folder (the VAE alone, `transformer=False`, from any tiny-shapes folder)."""
    m = json.load(open(os.path.join(model_dir, "model.json")))
    n = m["textLengths"]["t5"]
    f = lambda name: os.path.join(model_dir, m["files"][name])  # noqa: E731
    dec = onnx_weights.load_onnx_weights(nets.Decoder(), f("vaeDecoder"), export.export_decoder).eval()
    enc = onnx_weights.load_onnx_weights(nets.Encoder(), f("vaeEncoder"), export.export_encoder).eval()
    if not transformer:
        return m, enc, dec, None
    recipe = json.load(open(os.path.join(model_dir, "training.json"))).get("recipe", "")
    if recipe.startswith("slots"):  # a slot model: continue from its transformer as it is
        tr = onnx_weights.load_onnx_weights(new_transformer(), f("transformer"), export.export_transformer, n)
        return m, enc, dec, tr
    old = onnx_weights.load_onnx_weights(nets.FlowTransformer(train.WIDTH_TEXT, train.WIDTH_TEXT, width=128, double=2, single=2),
                                         f("transformer"), export.export_transformer, n)
    return m, enc, dec, old


def new_transformer(old=None):
    tr = nets.FlowTransformer(slots.DIM, slots.DIM, width=128, double=2, single=2, txt_tokens=slots.K)
    if old is not None:
        tr.load_state_dict(old.state_dict())
        # the text and pooled inputs mean something new: their input layers start afresh
        fresh = nets.FlowTransformer(slots.DIM, slots.DIM, width=128, double=2, single=2)
        tr.txt_in.load_state_dict(fresh.txt_in.state_dict())
        tr.vector_in.load_state_dict(fresh.vector_in.state_dict())
    return tr


def conditioning(probs, device):
    seq = slots.slot_embedding({k: v.to(device) for k, v in probs.items()},
                               {k: v.to(device) for k, v in slots.TABLES.items()})
    return seq, seq.sum(1)


def stage_parser(args, log):
    tok = Tokenizer(domain.vocabulary())
    path = ckpt_path("parser", args.seed)
    parser, curve = slots.train_parser(tok, steps=args.parser_steps, seed=args.seed, log=log, device=args.device,
                                       stop_at=args.stop_at)
    acc = slots.parser_accuracy(parser, tok, n=1024)
    log(f"parser exact-scene accuracy (1024 fresh noisy captions): {acc}")
    torch.save({"state": parser.state_dict(), "curve": curve, "accuracy": acc, "steps": args.parser_steps,
                "seconds": curve[-1][2] if curve else 0, "args": vars(args)}, path)
    log(f"saved {path}")


def stage_flow(args, log):
    device = args.device
    manifest, enc, dec, old = load_shipped_parts(args.init_from)
    shift, scale = manifest["vae"]["shiftFactor"], manifest["vae"]["scalingFactor"]
    # a v1 transformer is adapted (new text/pooled input layers); a slot model's is taken as it is
    tr = (old if old.txt_tokens else new_transformer(old)).to(device)
    enc = enc.to(device)
    ema = torch.optim.swa_utils.AveragedModel(
        tr, avg_fn=lambda avg, cur, n: avg * args.ema + cur * (1 - args.ema) if n > 0 else cur)
    opt = torch.optim.AdamW(tr.parameters(), lr=args.lr, weight_decay=0.01)
    path = ckpt_path("flow", args.seed)
    step, curve = 0, []
    if args.resume and os.path.exists(path):
        ck = torch.load(path, map_location=device)
        tr.load_state_dict(ck["model"])
        ema.load_state_dict(ck["ema"])
        opt.load_state_dict(ck["opt"])
        step, curve = ck["step"], ck["curve"]
        torch.set_rng_state(ck["rng"])
        log(f"resumed flow training at step {step}")
    rng = random.Random(args.seed + 2 + step)
    mix = train.SIZE_MIXES[args.sizes]
    sizes = list(mix)
    weights = [mix[s] for s in sizes]
    if args.mix64:  # share of steps at 64x64 (the rest in the SIZE_MIX proportions)
        rest = sum(w for s, w in zip(sizes, weights) if s != (64, 64))
        weights = [args.mix64 if s == (64, 64) else w / rest * (1 - args.mix64) for s, w in zip(sizes, weights)]
    txt_ids = torch.zeros(slots.K, 3, device=device)
    t0 = time.time() - (curve[-1][2] if curve else 0.0)

    def save():
        tmp = path + ".tmp"
        torch.save({"step": step, "model": tr.state_dict(), "ema": ema.state_dict(), "opt": opt.state_dict(),
                    "curve": curve, "args": vars(args), "rng": torch.get_rng_state()}, tmp)
        os.replace(tmp, path)

    while step < args.flow_steps:
        if args.stop_at and time.time() > args.stop_at:
            log(f"stopping at step {step}: --stop-at reached")
            break
        frac = step / args.flow_steps
        for g in opt.param_groups:
            g["lr"] = args.lr * min(1.0, (step + 1) / args.warmup) * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * frac)))
        size = rng.choices(sizes, weights)[0]
        bsz = max(2, round(args.batch * 16 / (size[0] * size[1] / 256)))
        with torch.no_grad():
            if args.edit_p:
                scenes, x, x_src, edited = edit_pairs(rng, bsz, size, args.edit_p)
                x0_src = train.pack((enc(x_src.to(device)) - shift) * scale)
            else:
                scenes, x = train.render_batch(rng, bsz, size[0], size[1])
            x0 = train.pack((enc(x.to(device)) - shift) * scale)
            seq, pooled = conditioning(slots.scene_probs(scenes, smooth=args.smooth, rng=rng), device)
        sigma = train.sample_sigmas(bsz).to(device)
        noise = torch.randn_like(x0)
        if args.edit_p:
            # an edit pair starts from the other scene, noised (image-to-image), and its target is
            # the straight line to the captioned scene: v = (x_t - x0) / sigma, at sigma >= 0.25
            # (below, the line is too steep to learn and image-to-image has changed little)
            edited = edited.to(device)
            sigma = torch.where(edited, sigma.clamp(min=0.25), sigma)
            start = torch.where(edited[:, None, None], x0_src, x0)
            xt = (1 - sigma[:, None, None]) * start + sigma[:, None, None] * noise
            target = (xt - x0) / sigma[:, None, None]
        else:
            xt = (1 - sigma[:, None, None]) * x0 + sigma[:, None, None] * noise
            target = noise - x0
        v = tr(xt, seq, pooled, sigma, train.img_ids(size[1] // 8, size[0] // 8).to(device), txt_ids)
        loss = F.mse_loss(v, target)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(tr.parameters(), 1.0)
        opt.step()
        ema.update_parameters(tr)
        step += 1
        if step % 25 == 0:
            curve.append(("flow", step, round(time.time() - t0, 1), round(loss.item(), 5), None))
            log(f"flow step {step} t={time.time() - t0:.0f}s loss={loss.item():.4f}")
        if step % args.save_every == 0:
            save()
        if args.check_every and step % args.check_every == 0:
            check = quick_check(ema.module.cpu(), dec, shift, scale, n=args.check_n)
            ema.module.to(device)
            log(f"quick check (ground-truth slots) at step {step}: {check}")
    save()


def edited_scene(scene, rng):
    """The scene with one thing changed, as a user's image-to-image prompt changes it: the
    background (half the time), one shape's color, or one shape's class."""
    src = {"background": scene["background"], "shapes": [dict(s) for s in scene["shapes"]]}
    used = {s["color"] for s in src["shapes"]}
    u = rng.random()
    if u < 0.5:
        src["background"] = rng.choice([c for c in domain.COLORS if c not in used and c != scene["background"]] or [scene["background"]])
    elif u < 0.8:
        s = rng.choice(src["shapes"])
        s["color"] = rng.choice([c for c in domain.COLORS if c not in (s["color"], src["background"])])
    else:
        s = rng.choice(src["shapes"])
        s["shape"] = rng.choice([k for k in domain.SHAPES if k != s["shape"]])
    return src


def edit_pairs(rng, n, size, edit_p):
    """A batch of scenes (the captions' truth), their renders, and the renders to start from:
    for a share `edit_p` an edited scene drawn with the same jitter, else the scene itself."""
    scenes = [domain.sample_scene(rng) for _ in range(n)]
    targets, sources, edited = [], [], []
    for sc in scenes:
        seed = rng.randrange(2 ** 31)
        targets.append(domain.render(sc, size[0], size[1], random.Random(seed)))
        e = rng.random() < edit_p
        sources.append(domain.render(edited_scene(sc, rng), size[0], size[1], random.Random(seed)) if e else targets[-1])
        edited.append(e)
    return scenes, train.to_tensor(targets), train.to_tensor(sources), torch.tensor(edited)


@torch.no_grad()
def sample(tr, dec, shift, scale, seq, pooled, w=64, h=64, seed=11):
    b = seq.shape[0]
    x = torch.randn(b, (h // 16) * (w // 16), 64, generator=torch.Generator().manual_seed(seed))
    sigmas = train.INFERENCE_SIGMAS + [0.0]
    for i in range(4):
        v = tr(x, seq, pooled, torch.full((b,), sigmas[i]), train.img_ids(h // 8, w // 8), torch.zeros(seq.shape[1], 3))
        x = x + (sigmas[i + 1] - sigmas[i]) * v
    images = ((dec(train.unpack(x, h // 8, w // 8) / scale + shift).permute(0, 2, 3, 1).numpy() + 1) * 127.5).round().clip(0, 255)
    return list(images.astype(np.uint8))


@torch.no_grad()
def quick_check(tr, dec, shift, scale, n=48, parser=None, tok=None, w=64, h=64):
    """4-step samples of fresh scenes read by analyze.py: share fully right by shape count.
    Ground-truth slots, or the parser's reading of a fresh caption when `parser` is given."""
    rng = random.Random(77)
    out = {}
    for k in (1, 2, 3):
        scenes = []
        while len(scenes) < n // 3:
            s = domain.sample_scene(rng, max_shapes=3)
            if len(s["shapes"]) == k:
                scenes.append(s)
        if parser is None:
            seq, pooled = conditioning(slots.scene_probs(scenes), "cpu")
        else:
            ids = torch.tensor([tok(domain.caption(s, rng, omit_p=0)) for s in scenes], dtype=torch.int32)
            seq, pooled = parser(ids)
        images = sample(tr, dec, shift, scale, seq, pooled, w, h)
        out[f"{k}_shape"] = round(analyze.scene_accuracy(images, scenes), 3)
    return out


class T5Export(torch.nn.Module):
    def __init__(self, parser):
        super().__init__()
        self.parser = parser

    def forward(self, input_ids):
        return self.parser(input_ids)


def stage_export(args, log):
    tok = Tokenizer(domain.vocabulary())
    pk = torch.load(ckpt_path("parser", args.seed), map_location="cpu")
    fk = torch.load(ckpt_path("flow", args.seed), map_location="cpu")
    clip = slots.Parser(len(tok.ids), TEXT_LEN, pooled=True)
    clip.load_state_dict(pk["state"])
    t5 = slots.Parser(len(tok.ids), TEXT_LEN)
    t5.load_state_dict(pk["state"])
    manifest, enc, dec, _ = load_shipped_parts(args.init_from, transformer=False)
    shift, scale = manifest["vae"]["shiftFactor"], manifest["vae"]["scalingFactor"]
    tr = new_transformer()
    ema_state = {k[len("module."):]: v for k, v in fk["ema"].items() if k.startswith("module.")}
    tr.load_state_dict(ema_state)
    clip.eval(), t5.eval(), tr.eval()
    check_gt = quick_check(tr, dec, shift, scale, n=96)
    check_parsed = quick_check(tr, dec, shift, scale, n=96, parser=clip, tok=tok)
    log(f"quick check, ground-truth slots: {check_gt}; parsed captions: {check_parsed}")
    os.makedirs(args.out, exist_ok=True)
    curve = list(pk["curve"]) + list(fk["curve"])
    with open(os.path.join(args.out, "training-log.csv"), "w") as f:
        f.write("stage,step,seconds,loss,val_mse\n")
        for stage, step, secs, loss, val in curve:
            f.write(f"{stage},{step},{secs},{loss},{'' if val is None else val}\n")
    prev = json.load(open(os.path.join(args.init_from, "training.json")))
    info = {"seed": args.seed, "recipe": "slots (tools/tiny-shapes/train_slots.py, slots.py)", "init_from": args.init_from,
            "parser_steps": pk["steps"], "parser_seconds": round(pk["seconds"]), "parser_accuracy": pk["accuracy"],
            "flow_steps": fk["step"], "flow_seconds": round(fk["curve"][-1][2]) if fk["curve"] else 0,
            "quick_check_ground_truth_slots": check_gt, "quick_check_parsed": check_parsed,
            "args": {"parser": pk["args"], "flow": fk["args"], "export": vars(args)},
            "encoder": prev.get("encoder"), "decoder": prev.get("decoder"), "vae": "the shipped vae_encoder.onnx / vae_decoder.onnx, frozen",
            # the v1 model everything started from, and the slot model this run continued (if any)
            "base_model": prev.get("base_model") or {k: prev[k] for k in ("seed", "flow_steps", "train_seconds", "args") if k in prev},
            "previous": {k: prev[k] for k in ("seed", "recipe", "parser_steps", "parser_seconds", "flow_steps", "flow_seconds",
                                              "quick_check_ground_truth_slots", "quick_check_parsed", "args") if k in prev}
            if prev.get("recipe", "").startswith("slots") else None}
    extra = {k: v for k, v in manifest.items() if k not in ("files", "tokenizers", "textLengths", "vae")}
    # trainedSizes stays as the init folder lists it: the sizes the model draws well at, not every
    # size it saw (with --sizes api it also saw 80x48 and the like, where its small shapes come
    # out worse than rendered at a listed size and resampled: MODEL_CARD.md)
    classifier = manifest.get("moderation", {}).get("classifier")
    if classifier and os.path.abspath(args.init_from) != os.path.abspath(args.out):
        shutil.copyfile(os.path.join(args.init_from, classifier), os.path.join(args.out, classifier))
    # export_t5 exports the module as given: the parser returns the [B,L,64] sequence alone
    export.export_all(args.out, clip, T5Export(t5), tr, dec, shift, scale, TEXT_LEN, info, enc=enc, extra=extra)
    log(json.dumps(info))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("stage", choices=["parser", "flow", "export"])
    ap.add_argument("--out", default="models/tiny-shapes")
    ap.add_argument("--seed", type=int, default=20261202)
    ap.add_argument("--device", default="cpu", help="cpu or cuda")
    ap.add_argument("--init-from", default="models/tiny-shapes",
                    help="model folder whose VAE (frozen) and transformer weights are the start")
    ap.add_argument("--parser-steps", type=int, default=4000)
    ap.add_argument("--flow-steps", type=int, default=20000)
    ap.add_argument("--batch", type=int, default=24, help="images per step at 64x64 (as many image tokens at other sizes)")
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--ema", type=float, default=0.995)
    ap.add_argument("--sizes", choices=sorted(train.SIZE_MIXES), default="v2",
                    help="size mix of the flow stage (train.py: v2 = SIZE_MIX, api = API_SIZE_MIX)")
    ap.add_argument("--edit-p", type=float, default=0,
                    help="share of flow samples that start from an edited scene (image-to-image pairs)")
    ap.add_argument("--mix64", type=float, default=0, help="share of steps at 64x64 (0: the size mix as it is)")
    ap.add_argument("--smooth", type=float, default=0.15, help="soften ground-truth slot probabilities by up to this")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--save-every", type=int, default=200)
    ap.add_argument("--check-every", type=int, default=0)
    ap.add_argument("--check-n", type=int, default=48)
    ap.add_argument("--stop-at", type=float, default=0, help="unix time: stop (and checkpoint) when reached")
    ap.add_argument("--resume", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    def log(msg):
        print(msg, flush=True)

    {"parser": stage_parser, "flow": stage_flow, "export": stage_export}[args.stage](args, log)


if __name__ == "__main__":
    main()
