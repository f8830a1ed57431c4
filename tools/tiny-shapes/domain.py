"""The tiny-shapes domain: palette, layout, renderer and caption grammar.

Everything the evaluator needs to score images (colors, positions, sizes) is exported to
models/tiny-shapes/domain.json, so the TypeScript analyzer and this renderer never drift.
"""
import random

import numpy as np

COLORS = {
    "red": (220, 40, 40),
    "green": (40, 170, 70),
    "blue": (40, 90, 220),
    "yellow": (240, 215, 40),
    "orange": (245, 135, 30),
    "purple": (140, 60, 180),
    "white": (245, 245, 245),
    "black": (20, 20, 20),
}
# Shape centre as a fraction of (width, height).
POSITIONS = {
    "top left": (0.25, 0.25), "top": (0.5, 0.25), "top right": (0.75, 0.25),
    "left": (0.25, 0.5), "center": (0.5, 0.5), "right": (0.75, 0.5),
    "bottom left": (0.25, 0.75), "bottom": (0.5, 0.75), "bottom right": (0.75, 0.75),
}
# Half-extent of the shape as a fraction of min(width, height).
SIZES = {"small": 0.11, "large": 0.2}
SHAPES = ["circle", "square", "triangle"]

SHAPE_WORDS = {"circle": ["circle", "disc", "dot"], "square": ["square", "box"], "triangle": ["triangle"]}
POSITION_WORDS = {
    "center": ["center", "centre", "middle"],
}
FILLERS = ["a", "an", "the", "with", "on", "in", "at", "of", "and", "background", "please", "draw",
           "image", "picture", "showing", "simple", "flat", "there", "is", "very", "tiny", "big"]
UNKNOWN_WORDS = ["zebra", "lovely", "photo", "render", "hd", "4k", "style", "cute", "sharp",
                 "detailed", "wow", "xyzzy", "canvas", "drawn", "digital", "art"]
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"]


def vocabulary():
    words = set(COLORS) | set(SIZES) | set(FILLERS) | {"top", "bottom", "left", "right"}
    for ws in SHAPE_WORDS.values():
        words |= set(ws)
    for ws in POSITION_WORDS.values():
        words |= set(ws)
    words |= {"big", "large", "small", "tiny", "middle", "centre", ","}
    return SPECIALS + sorted(words)


def sample_scene(rng: random.Random, two_shapes_p=0.2, max_shapes=None):
    bg = rng.choice(list(COLORS))
    if max_shapes:
        n = rng.randint(1, max_shapes)
    else:
        n = 2 if rng.random() < two_shapes_p else 1
    positions = rng.sample(list(POSITIONS), n)
    shapes = []
    for pos in positions:
        color = rng.choice([c for c in COLORS if c != bg])
        shapes.append({"shape": rng.choice(SHAPES), "color": color, "size": rng.choice(list(SIZES)), "position": pos})
    return {"background": bg, "shapes": shapes}


def render(scene, width, height, rng: random.Random, jitter=True):
    """Flat shapes on a solid background, uint8 [H, W, 3]."""
    img = np.empty((height, width, 3), dtype=np.uint8)
    img[:, :] = COLORS[scene["background"]]
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32) + 0.5
    m = min(width, height)
    for s in scene["shapes"]:
        fx, fy = POSITIONS[s["position"]]
        j = 0.025 if jitter else 0.0
        cx = (fx + rng.uniform(-j, j)) * width
        cy = (fy + rng.uniform(-j, j)) * height
        r = SIZES[s["size"]] * m * (rng.uniform(0.93, 1.07) if jitter else 1.0)
        if s["shape"] == "circle":
            mask = (xs - cx) ** 2 + (ys - cy) ** 2 <= r * r
        elif s["shape"] == "square":
            mask = (np.abs(xs - cx) <= r) & (np.abs(ys - cy) <= r)
        else:  # upward triangle: apex at top centre, base at the bottom of the box
            inside_y = (ys >= cy - r) & (ys <= cy + r)
            half = (ys - (cy - r)) / 2.0
            mask = inside_y & (np.abs(xs - cx) <= half)
        img[mask] = COLORS[s["color"]]
    return img


def shape_phrase(s, rng, drop_size=False):
    """"a large red circle", "the red large circle", "red circle, large", "big red disc"."""
    size = "" if drop_size else rng.choice({"small": ["small", "small", "tiny"], "large": ["large", "large", "big"]}[s["size"]])
    noun = rng.choice(SHAPE_WORDS[s["shape"]])
    article = rng.choice(["a", "a", "the", "one", ""])
    form = rng.random()
    if form < 0.6 or not size:
        words = [article, size, s["color"], noun]
    elif form < 0.8:
        words = [article, s["color"], size, noun]
    else:  # size after the noun, with or without a comma
        words = [article, s["color"], noun + rng.choice([",", ""]), size]
    return " ".join(w for w in words if w)


def position_phrase(pos, rng):
    name = rng.choice(POSITION_WORDS.get(pos, [pos]))
    if " " in pos:
        return rng.choice([f"at the {name}", f"in the {name}", f"{name}", f"in the {name} corner"])
    if pos in ("left", "right"):
        return rng.choice([f"on the {name}", f"at the {name}", f"{name}", f"on the {name} side"])
    return rng.choice([f"at the {name}", f"in the {name}", f"on the {name}", f"{name}"])


def background_phrase(bg, rng, leading=False):
    if leading:
        return rng.choice([f"{bg} background with", f"{bg} background,", f"on a {bg} background,",
                           f"a {bg} background with", f"{bg} background"])
    return rng.choice([f"on a {bg} background", f"on {bg} background", f"with a {bg} background",
                       f"{bg} background", f"over a {bg} background", f", {bg} background"])


def caption(scene, rng: random.Random, drop_p=0.08, noise_p=0.15):
    """A random caption in the grammar. The order of the phrases (shape, position, background)
    and of the words inside a shape phrase varies, so the model binds each word by what it
    says, not by where it stands; attributes are sometimes left out (the model then picks
    them) and unknown or filler words are sometimes added (the model ignores them)."""
    single = len(scene["shapes"]) == 1
    groups = []  # (shape phrase, position phrase or "")
    for s in scene["shapes"]:
        shape = shape_phrase(s, rng, drop_size=rng.random() < drop_p)
        drop_pos = single and rng.random() < drop_p
        groups.append((shape, "" if drop_pos else position_phrase(s["position"], rng)))

    def group_text(shape, pos):
        if pos and rng.random() < 0.35:  # "at the top, the red square"
            return f"{pos}{rng.choice([',', ''])} {shape}"
        return f"{shape} {pos}".strip()

    t = rng.random()
    if single and t < drop_p:
        text = group_text(*groups[0])
    elif t < 0.35:
        text = background_phrase(scene["background"], rng, leading=True) + " " + \
            " and ".join(group_text(*g) for g in groups)
    elif single and groups[0][1] and t < 0.5:
        # position after the background: "the red square with a blue background at the top"
        text = f"{groups[0][0]} {background_phrase(scene['background'], rng)} {groups[0][1]}"
    else:
        text = " and ".join(group_text(*g) for g in groups) + " " + background_phrase(scene["background"], rng)
    words = text.replace(" ,", ",").split()
    if rng.random() < noise_p:
        for _ in range(rng.randint(1, 3)):
            words.insert(rng.randint(0, len(words)), rng.choice(UNKNOWN_WORDS + FILLERS))
    return " ".join(words)


def domain_json():
    return {
        "colors": {k: list(v) for k, v in COLORS.items()},
        "positions": {k: list(v) for k, v in POSITIONS.items()},
        "sizes": SIZES,
        "shapes": SHAPES,
    }
