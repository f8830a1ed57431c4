"""Python twin of apps/cli/src/eval/analyze.ts, for checks during training.

Reads a one-shape image the way the eval does: background by a vote of border pixels, shape
as the largest 4-connected region far from the background, class by bounding-box fill ratio.
The TypeScript analyzer stays the judge; this one lets train.py report progress in the same
terms without leaving Python.
"""
import math

import numpy as np

import domain

PALETTE = {k: np.array(v, dtype=np.float64) for k, v in domain.COLORS.items()}
FILL = {"square": 1.0, "circle": math.pi / 4, "triangle": 0.5}


def _nearest_color(rgb):
    names = list(PALETTE)
    d = np.stack([((rgb - PALETTE[n]) ** 2).sum(-1) for n in names], -1)
    return np.array(names)[d.argmin(-1)]


def _regions(mask):
    """4-connected regions of mask, as lists of (y, x)."""
    h, w = mask.shape
    seen = np.zeros_like(mask, dtype=bool)
    out = []
    for y0, x0 in zip(*np.nonzero(mask)):
        if seen[y0, x0]:
            continue
        seen[y0, x0] = True
        stack, region = [(y0, x0)], []
        while stack:
            y, x = stack.pop()
            region.append((y, x))
            for ny, nx in ((y - 1, x), (y + 1, x), (y, x - 1), (y, x + 1)):
                if 0 <= ny < h and 0 <= nx < w and mask[ny, nx] and not seen[ny, nx]:
                    seen[ny, nx] = True
                    stack.append((ny, nx))
        out.append(region)
    return out


def _largest_region(mask):
    h, w = mask.shape
    seen = np.zeros_like(mask, dtype=bool)
    best = []
    for y0, x0 in zip(*np.nonzero(mask)):
        if seen[y0, x0]:
            continue
        seen[y0, x0] = True
        stack, region = [(y0, x0)], []
        while stack:
            y, x = stack.pop()
            region.append((y, x))
            for ny, nx in ((y - 1, x), (y + 1, x), (y, x - 1), (y, x + 1)):
                if 0 <= ny < h and 0 <= nx < w and mask[ny, nx] and not seen[ny, nx]:
                    seen[ny, nx] = True
                    stack.append((ny, nx))
        if len(region) > len(best):
            best = region
    return best


def analyze(img):
    """img uint8 [H, W, 3] -> dict(background, color, position, shape, size)."""
    h, w, _ = img.shape
    f = img.astype(np.float64)
    border = np.concatenate([f[0], f[-1], f[1:-1, 0], f[1:-1, -1]])
    names = _nearest_color(border)
    values, counts = np.unique(names, return_counts=True)
    order = sorted(range(len(values)), key=lambda i: (-counts[i], values[i]))
    bg = str(values[order[0]])
    bg_mean = border[names == bg].mean(0)
    neighbour = min(((PALETTE[n] - PALETTE[bg]) ** 2).sum() for n in PALETTE if n != bg)
    mask = ((f - bg_mean) ** 2).sum(-1) > neighbour / 4
    region = _largest_region(mask)
    out = {"background": bg, "color": None, "position": None, "shape": None, "size": None}
    if len(region) < 6:
        return out
    ys = np.array([p[0] for p in region])
    xs = np.array([p[1] for p in region])
    bw, bh = xs.max() - xs.min() + 1, ys.max() - ys.min() + 1
    fill = len(region) / (bw * bh)
    half = max(bw, bh) / 2 / min(w, h)
    cx, cy = (xs + 0.5).mean() / w, (ys + 0.5).mean() / h
    inside = np.zeros_like(mask)
    inside[ys, xs] = True
    core = inside.copy()
    core[1:-1, 1:-1] &= inside[:-2, 1:-1] & inside[2:, 1:-1] & inside[1:-1, :-2] & inside[1:-1, 2:]
    core[0], core[-1], core[:, 0], core[:, -1] = False, False, False, False
    pix = f[core] if core.any() else f[ys, xs]
    out["color"] = str(_nearest_color(pix.mean(0)[None])[0])
    out["position"] = min(domain.POSITIONS, key=lambda p: (domain.POSITIONS[p][0] - cx) ** 2 + (domain.POSITIONS[p][1] - cy) ** 2)
    out["shape"] = min(FILL, key=lambda s: abs(FILL[s] - fill))
    out["size"] = min(domain.SIZES, key=lambda s: abs(domain.SIZES[s] - half))
    return out


def _read_region(f, region, w, h):
    ys = np.array([p[0] for p in region])
    xs = np.array([p[1] for p in region])
    bw, bh = xs.max() - xs.min() + 1, ys.max() - ys.min() + 1
    fill = len(region) / (bw * bh)
    half = max(bw, bh) / 2 / min(w, h)
    cx, cy = (xs + 0.5).mean() / w, (ys + 0.5).mean() / h
    inside = np.zeros(f.shape[:2], dtype=bool)
    inside[ys, xs] = True
    core = inside.copy()
    core[1:-1, 1:-1] &= inside[:-2, 1:-1] & inside[2:, 1:-1] & inside[1:-1, :-2] & inside[1:-1, 2:]
    core[0], core[-1], core[:, 0], core[:, -1] = False, False, False, False
    pix = f[core] if core.any() else f[ys, xs]
    return {"color": str(_nearest_color(pix.mean(0)[None])[0]),
            "position": min(domain.POSITIONS, key=lambda p: (domain.POSITIONS[p][0] - cx) ** 2 + (domain.POSITIONS[p][1] - cy) ** 2),
            "shape": min(FILL, key=lambda s: abs(FILL[s] - fill)),
            "size": min(domain.SIZES, key=lambda s: abs(domain.SIZES[s] - half)),
            "xy": (cx, cy)}


def analyze_scene(img):
    """Every shape of an image: background as in analyze(), then each region of at least
    6 px per 64x64 far from the background read like analyze()'s one."""
    h, w, _ = img.shape
    f = img.astype(np.float64)
    border = np.concatenate([f[0], f[-1], f[1:-1, 0], f[1:-1, -1]])
    names = _nearest_color(border)
    values, counts = np.unique(names, return_counts=True)
    order = sorted(range(len(values)), key=lambda i: (-counts[i], values[i]))
    bg = str(values[order[0]])
    bg_mean = border[names == bg].mean(0)
    neighbour = min(((PALETTE[n] - PALETTE[bg]) ** 2).sum() for n in PALETTE if n != bg)
    mask = ((f - bg_mean) ** 2).sum(-1) > neighbour / 4
    min_px = max(6, round(6 * w * h / 4096))
    shapes = [_read_region(f, r, w, h) for r in _regions(mask) if len(r) >= min_px]
    return {"background": bg, "shapes": shapes}


def scene_correct(reading, scene):
    """Background right, as many shapes as asked, and each asked shape matched (nearest unused
    reading to its position) with color, position, class and size right."""
    if reading["background"] != scene["background"] or len(reading["shapes"]) != len(scene["shapes"]):
        return False
    left = list(reading["shapes"])
    for s in scene["shapes"]:
        px, py = domain.POSITIONS[s["position"]]
        r = min(left, key=lambda r: (r["xy"][0] - px) ** 2 + (r["xy"][1] - py) ** 2)
        left.remove(r)
        if any(r[k] != s[k] for k in ("color", "position", "shape", "size")):
            return False
    return True


def scene_accuracy(images, scenes):
    return sum(scene_correct(analyze_scene(i), s) for i, s in zip(images, scenes)) / len(scenes)


def score(images, scenes):
    """Share of single-shape scenes read correctly, per attribute."""
    keys = ["background", "color", "position", "shape", "size"]
    hits = {k: 0 for k in keys}
    for img, sc in zip(images, scenes):
        a = analyze(img)
        want = {"background": sc["background"], **{k: sc["shapes"][0][k] for k in ("color", "position", "shape", "size")}}
        for k in keys:
            hits[k] += a[k] == want[k]
    return {k: hits[k] / len(scenes) for k in keys}
