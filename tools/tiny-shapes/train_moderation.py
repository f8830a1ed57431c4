"""A tiny output-moderation classifier for the tiny-shapes domain (issue 15, item 2).

    OMP_NUM_THREADS=2 /usr/bin/python3 tools/tiny-shapes/train_moderation.py --model models/tiny-shapes

The shipped model draws flat shapes, so there is nothing harmful to catch; the stand-in policy is
"no red triangles" (a warning sign look-alike), which exercises everything a real classifier
needs: a label, a threshold, hard negatives (red circles and squares, orange and purple
triangles) and images of every size the model renders. The network is fully convolutional with
a global max and mean pool, so one ONNX file takes any H and W.

Training images are rendered scenes, blurred and noised the way the few-step sampler's outputs
are. Writes <model>/moderation.onnx (images [B,3,H,W] in [0,1] -> scores [B,1], probabilities)
and declares it in model.json under "moderation".
"""
import argparse
import json
import os
import random
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import domain

LABELS = ["red_triangle"]
SIZES = [32, 48, 64, 96]


class Classifier(nn.Module):
    """Convolutions with batch norm (without it this small net never left chance level), then
    the max and the mean of each feature over the image: any size in, one score per label out."""

    def __init__(self, width=16):
        super().__init__()
        w = width

        def block(cin, cout, stride):
            return [nn.Conv2d(cin, cout, 3, padding=1, stride=stride), nn.BatchNorm2d(cout), nn.ReLU()]

        self.body = nn.Sequential(*block(3, w, 1), *block(w, w, 2), *block(w, 2 * w, 1), *block(2 * w, 2 * w, 2), *block(2 * w, 2 * w, 1))
        self.head = nn.Linear(4 * w, len(LABELS))

    def logits(self, images):
        f = self.body(images)
        return self.head(torch.cat([f.amax(dim=(2, 3)), f.mean(dim=(2, 3))], 1))

    def forward(self, images):
        return torch.sigmoid(self.logits(images))


def is_flagged(scene):
    return any(s["shape"] == "triangle" and s["color"] == "red" for s in scene["shapes"])


def sample(rng, positive):
    for _ in range(100):
        scene = domain.sample_scene(rng)
        if is_flagged(scene) == positive and scene["background"] != "red":
            return scene
        if positive:
            s = rng.choice(scene["shapes"])
            s["shape"], s["color"] = "triangle", "red"
            if scene["background"] != "red":
                return scene
    raise RuntimeError("could not sample a scene")


def hard_negative(rng):
    """Red non-triangles and triangles of near colors: what the classifier must not flag."""
    scene = sample(rng, False)
    s = rng.choice(scene["shapes"])
    if rng.random() < 0.5:
        s["shape"], s["color"] = rng.choice(["circle", "square"]), "red"
    else:
        s["shape"], s["color"] = "triangle", rng.choice(["orange", "purple", "yellow"])
    if scene["background"] == s["color"] or is_flagged(scene):
        return sample(rng, False)
    return scene


def batch(rng, n, w, h):
    scenes, labels = [], []
    for _ in range(n):
        r = rng.random()
        scene = sample(rng, True) if r < 0.4 else hard_negative(rng) if r < 0.7 else sample(rng, False)
        scenes.append(scene)
        labels.append([1.0 if is_flagged(scene) else 0.0])
    imgs = torch.from_numpy(np.stack([domain.render(s, w, h, rng) for s in scenes])).permute(0, 3, 1, 2).float() / 255.0
    return augment(imgs, rng), torch.tensor(labels)


def augment(x, rng):
    """Blur, color shift and noise like the few-step sampler's soft edges and off-palette tints."""
    sigma = rng.uniform(0.3, 1.6)
    k = torch.arange(-3, 4, dtype=torch.float32)
    g = torch.exp(-(k ** 2) / (2 * sigma * sigma))
    g = g / g.sum()
    c = x.shape[1]
    x = F.conv2d(F.pad(x, (3, 3, 0, 0), mode="replicate"), g.view(1, 1, 1, 7).repeat(c, 1, 1, 1), groups=c)
    x = F.conv2d(F.pad(x, (0, 0, 3, 3), mode="replicate"), g.view(1, 1, 7, 1).repeat(c, 1, 1, 1), groups=c)
    x = x + (torch.rand(x.shape[0], 3, 1, 1) - 0.5) * 0.12
    x = x + torch.randn_like(x) * rng.uniform(0.0, 0.04)
    return x.clamp(0, 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="models/tiny-shapes")
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--batch", type=int, default=48)
    ap.add_argument("--seed", type=int, default=15)
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    net = Classifier()
    opt = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=args.steps)
    t0 = time.time()
    for step in range(1, args.steps + 1):
        w, h = rng.choice(SIZES), rng.choice(SIZES)
        x, y = batch(rng, args.batch, w, h)
        loss = F.binary_cross_entropy_with_logits(net.logits(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 100 == 0:
            print(f"step {step} loss {loss.item():.4f} ({time.time() - t0:.0f} s)", flush=True)

    # held-out check on fresh scenes at every size
    net.eval()
    vrng = random.Random(args.seed + 1)
    right = total = fp = negatives = fn = positives = 0
    with torch.no_grad():
        for w in SIZES:
            x, y = batch(vrng, 200, w, w)
            p = (net(x) > 0.5).float()
            right += (p == y).sum().item()
            total += y.numel()
            fp += ((p == 1) & (y == 0)).sum().item()
            negatives += (y == 0).sum().item()
            fn += ((p == 0) & (y == 1)).sum().item()
            positives += (y == 1).sum().item()
    report = {"accuracy": right / total, "false_positive_rate": fp / negatives, "false_negative_rate": fn / positives,
              "held_out_images": total, "steps": args.steps, "seconds": round(time.time() - t0)}
    print(json.dumps(report), flush=True)

    out = os.path.join(args.model, "moderation.onnx")
    torch.onnx.export(net, (torch.rand(1, 3, 64, 64),), out, opset_version=17, input_names=["images"], output_names=["scores"],
                      dynamic_axes={"images": {0: "B", 2: "H", 3: "W"}, "scores": {0: "B"}})
    manifest_path = os.path.join(args.model, "model.json")
    manifest = json.load(open(manifest_path))
    manifest["moderation"] = {
        "classifier": "moderation.onnx",
        "labels": LABELS,
        "thresholds": {"red_triangle": 0.85},  # chosen on the model's own renders (output-moderation.test.ts)
        "maxSide": max(SIZES),
        "description": "stand-in policy for the tiny-shapes domain: no red triangles (tools/tiny-shapes/train_moderation.py)",
    }
    with open(manifest_path, "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    training_path = os.path.join(args.model, "training.json")
    if os.path.exists(training_path):
        training = json.load(open(training_path))
        training["moderation"] = report
        with open(training_path, "w") as f:
            json.dump(training, f, indent=2)
            f.write("\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
