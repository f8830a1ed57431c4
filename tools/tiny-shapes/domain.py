"""The tiny-shapes domain (v2): palette, layout, renderer and caption grammar.

Everything the evaluator needs to score images (colors, positions, sizes) is exported to
models/tiny-shapes/domain.json, so the TypeScript analyzer and this renderer never drift.

v2: scenes of 1-3 shapes, each with its own color, size and position (never overlapping); a
grammar with many phrasings, synonyms and plurals; and defaults for what a caption leaves out, so
that a short prompt asks for one image, not an average of many (a few-step sampler draws the
average of an under-specified prompt as a blob):
- no position: one shape in the center; two at left and right; three at top left, top right, bottom;
- no size: large;
- no shape color (or an unknown word in its place): black, or white on a black background;
- no background: white, or black when a shape is white, or blue when shapes are white and black.
"""
import random
import unicodedata

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

# Words users type for each attribute (the first is the canonical word).
COLOR_WORDS = {
    "red": ["red", "crimson", "scarlet"], "green": ["green", "emerald"], "blue": ["blue", "navy"],
    "yellow": ["yellow", "gold", "golden"], "orange": ["orange"], "purple": ["purple", "violet"],
    "white": ["white"], "black": ["black"],
}
SIZE_WORDS = {"small": ["small", "little", "tiny"], "large": ["large", "big", "huge"]}
SHAPE_WORDS = {"circle": ["circle", "disc", "dot"], "square": ["square", "box", "rectangle"], "triangle": ["triangle"]}
PLURAL = {"circle": "circles", "disc": "discs", "dot": "dots", "square": "squares", "box": "boxes",
          "rectangle": "rectangles", "triangle": "triangles"}
VERTICAL_WORDS = {"top": ["top", "upper"], "bottom": ["bottom", "lower"]}
CENTER_WORDS = ["center", "centre", "middle"]

DEFAULT_LAYOUT = {1: ["center"], 2: ["left", "right"], 3: ["top left", "top right", "bottom"]}
DEFAULT_SIZE = "large"

INTROS = ["", "", "", "", "draw", "a picture of", "an image of", "please draw", "show", "a simple image:"]
FILLERS = ["a", "the", "with", "and", "please", "image", "picture", "simple", "flat", "very", "nice", "one"]
# Words outside the grammar seen in training as noise, so that unknown words are ignored.
NOISE_WORDS = ["zebra", "lovely", "photo", "render", "hd", "4k", "style", "cute", "sharp", "detailed", "wow",
               "xyzzy", "canvas", "drawn", "digital", "art", "minimal", "vector", "icon", "clean", "bright"]
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"]
PUNCTUATION = [",", ";", ":", ".", "-", "(", ")", "!", "'", '"', "/", "&", "+"]
SUFFIXES = ["##s", "##es", "##ed", "##ish", "##ing", "##ly", "##er", "##y", "##ness"]
LETTERS = "abcdefghijklmnopqrstuvwxyz0123456789"


def vocabulary():
    """WordPiece vocabulary: the grammar's words, punctuation, a few suffixes, and single letters
    (whole-word and continuation), so any lowercase word splits into known pieces and an unknown
    word is never [UNK] (a plural is its noun + "##s")."""
    words = set()
    for table in (COLOR_WORDS, SIZE_WORDS, SHAPE_WORDS, VERTICAL_WORDS):
        for ws in table.values():
            words |= set(ws)
    words |= set(CENTER_WORDS) | {"left", "right", "corner", "side"}
    words |= {"a", "an", "the", "one", "two", "three", "and", "with", "on", "in", "at", "of", "over", "there", "is",
              "are", "background", "draw", "picture", "image", "please", "show", "simple", "flat", "very", "nice",
              "each", "both", "another", "plus", "its", "colored", "shapes"}
    for w in INTROS:
        words |= set(w.replace(":", "").split())
    words |= set(FILLERS)
    words |= set(PLURAL.values())
    pieces = sorted(words) + PUNCTUATION + list(LETTERS) + ["##" + c for c in LETTERS] + SUFFIXES
    seen, vocab = set(), []
    for p in SPECIALS + pieces:
        if p not in seen:
            seen.add(p)
            vocab.append(p)
    return vocab


def default_background(shape_colors):
    return next(c for c in ("white", "black", "blue", "yellow", "red") if c not in shape_colors)


def default_color(background):
    return "white" if background == "black" else "black"


def _overlap(a, b, margin=0.03):
    (ax, ay), (bx, by) = POSITIONS[a["position"]], POSITIONS[b["position"]]
    reach = SIZES[a["size"]] + SIZES[b["size"]] + margin
    return abs(ax - bx) < reach and abs(ay - by) < reach


def sample_scene(rng: random.Random, max_shapes=3, two_shapes_p=None):
    """1..max_shapes shapes that do not overlap; often with default values (layout, size,
    color, background) so captions can leave those out. `two_shapes_p` is accepted for the v1
    callers (quick checks ask for one shape with two_shapes_p=0)."""
    if two_shapes_p == 0:
        max_shapes = 1
    n = rng.choice([1, 1, 2, 2, 3, 3][:2 * max_shapes])
    for _ in range(100):
        default_layout = rng.random() < 0.25
        positions = DEFAULT_LAYOUT[n] if default_layout else rng.sample(list(POSITIONS), n)
        shapes = []
        for pos in positions:
            if shapes and rng.random() < 0.25:  # a twin (same shape, color, size): plurals
                twin = dict(shapes[-1])
                twin["position"] = pos
                shapes.append(twin)
                continue
            shapes.append({"shape": rng.choice(SHAPES), "color": rng.choice(list(COLORS)),
                           "size": DEFAULT_SIZE if rng.random() < 0.3 else rng.choice(list(SIZES)), "position": pos})
        if any(_overlap(a, b) for i, a in enumerate(shapes) for b in shapes[i + 1:]):
            continue
        colors = {s["color"] for s in shapes}
        if rng.random() < 0.25:
            bg = default_background(colors)
        else:
            choices = [c for c in COLORS if c not in colors]
            if not choices:
                continue
            bg = rng.choice(choices)
        if rng.random() < 0.15:  # default shape colors on this background
            for s in shapes:
                s["color"] = default_color(bg)
        if any(s["color"] == bg for s in shapes):
            continue
        return {"background": bg, "shapes": shapes}
    return {"background": "white", "shapes": [{"shape": "circle", "color": "black", "size": "large", "position": "center"}]}


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


# ---------------------------------------------------------------- caption grammar

def _pick(rng, xs):
    return xs[rng.randrange(len(xs))]


def position_words(pos, rng):
    if pos == "center":
        return _pick(rng, CENTER_WORDS)
    parts = pos.split()
    if len(parts) == 2:
        v = _pick(rng, VERTICAL_WORDS[parts[0]])
        return _pick(rng, [f"{v} {parts[1]}", f"{v} {parts[1]}", f"{v}-{parts[1]}", f"{parts[1]} {v}"])
    if pos in VERTICAL_WORDS:
        return _pick(rng, VERTICAL_WORDS[pos])
    return pos


def position_phrase(pos, rng):
    name = position_words(pos, rng)
    if " " in pos:
        return _pick(rng, [f"at the {name}", f"in the {name}", name, f"in the {name} corner", f"on the {name}"])
    if pos in ("left", "right"):
        return _pick(rng, [f"on the {name}", f"at the {name}", name, f"on the {name} side", f"to the {name}"])
    return _pick(rng, [f"at the {name}", f"in the {name}", f"on the {name}", name])


def background_phrase(bg, rng, leading=False):
    bw = _pick(rng, COLOR_WORDS[bg])
    if leading:
        return _pick(rng, [f"{bw} background with", f"{bw} background,", f"on a {bw} background,",
                           f"a {bw} background with", f"{bw} background:", f"the background is {bw};",
                           f"on {bw},"])
    return _pick(rng, [f"on a {bw} background", f"on {bw} background", f"with a {bw} background", f"{bw} background",
                       f"over a {bw} background", f", {bw} background", f"; the background is {bw}", f"on {bw}",
                       f", background {bw}"])


def noun_phrase(s, rng, named, count=1):
    """"a large red circle", "the red large circle", "red circle, large", "a small square in red",
    "two big blue boxes". `named`: which of size/color the caption states."""
    noun = _pick(rng, SHAPE_WORDS[s["shape"]])
    if count > 1:
        noun = PLURAL[noun]
    size = _pick(rng, SIZE_WORDS[s["size"]]) if named["size"] else ""
    color = _pick(rng, COLOR_WORDS[s["color"]]) if named["color"] else ""
    if named.get("junk_color"):
        color = _pick(rng, NOISE_WORDS)  # an unknown adjective: the default color is drawn
    if count == 1:
        article = _pick(rng, ["a", "a", "a", "the", "one", ""])
        if article == "a" and (size or color or noun)[0] in "aeiou":
            article = "an"
    else:
        article = {2: _pick(rng, ["two", "two", "2"]), 3: _pick(rng, ["three", "three", "3"])}[count]
    form = rng.random()
    if form < 0.5 or not (size and color) and form < 0.75:
        words = [article, size, color, noun]
    elif form < 0.65 and size and color:
        words = [article, color, size, noun]
    elif form < 0.8 and size:
        words = [article, color, noun + _pick(rng, [",", ""]), size]
    elif color:  # color after the noun: "a small square in red", "a square colored red"
        words = [article, size, noun, _pick(rng, ["in", "in", "colored"]), color]
    else:
        words = [article, size, color, noun]
    return " ".join(w for w in words if w)


def caption(scene, rng: random.Random, omit_p=0.5, noise_p=0.15, drop_p=None):
    """A random caption of `scene`. Attributes equal to their default (see the module comment)
    are left out with probability omit_p; everything else is named. Phrase order, connectives,
    word order inside a shape phrase and synonyms vary. `drop_p=0` (v1 callers) names everything."""
    if drop_p == 0:
        omit_p = 0.0
    shapes = scene["shapes"]
    n = len(shapes)
    colors = {s["color"] for s in shapes}
    omit_pos = [s["position"] for s in shapes] == DEFAULT_LAYOUT[n] and rng.random() < omit_p
    omit_bg = scene["background"] == default_background(colors) and rng.random() < omit_p
    named = []
    for s in shapes:
        is_default_color = s["color"] == default_color(scene["background"])
        nm = {"size": not (s["size"] == DEFAULT_SIZE and rng.random() < omit_p),
              "color": not (is_default_color and rng.random() < omit_p)}
        if not nm["color"] and rng.random() < 0.2:
            nm["junk_color"] = True
        named.append(nm)
    # groups of twins (same shape, color, size; consecutive) may be said once, in the plural
    groups, i = [], 0
    while i < n:
        j = i + 1
        while j < n and all(shapes[j][k] == shapes[i][k] for k in ("shape", "color", "size")) and named[j] == named[i]:
            j += 1
        if j - i > 1 and rng.random() < 0.7:
            groups.append(list(range(i, j)))
        else:
            groups += [[k] for k in range(i, j)]
        i = j
    # one order for every group, so a position phrase never sits between two shapes ambiguously
    position_first = rng.random() < 0.3
    texts = []
    for g in groups:
        s = shapes[g[0]]
        np_ = noun_phrase(s, rng, named[g[0]], count=len(g))
        if omit_pos:
            texts.append(np_)
            continue
        if len(g) == 1:
            pos = position_phrase(s["position"], rng)
        else:
            names = [position_words(shapes[k]["position"], rng) for k in g]
            pos = _pick(rng, [
                "at the " + " and ".join(names) if len(g) == 2 else "at the " + ", ".join(names[:-1]) + " and " + names[-1],
                ", ".join(f"one {position_phrase(shapes[k]['position'], rng)}" for k in g),
            ])
        if position_first:
            texts.append(f"{pos}{_pick(rng, [',', ''])} {np_}")
        else:
            texts.append(f"{np_} {pos}")
    joiner = _pick(rng, [" and ", ", ", "; ", " with ", " plus "])
    if len(texts) == 1:
        body = texts[0]
    elif joiner == ", " and rng.random() < 0.6:
        body = ", ".join(texts[:-1]) + _pick(rng, [" and ", ", and "]) + texts[-1]
    else:
        body = joiner.join(texts)
    t = rng.random()
    if omit_bg:
        text = body
    elif t < 0.35:
        text = background_phrase(scene["background"], rng, leading=True) + " " + body
    else:
        text = body + " " + background_phrase(scene["background"], rng)
    intro = _pick(rng, INTROS)
    if intro and rng.random() < 0.5:
        text = f"{intro} {text}"
    words = text.replace(" ,", ",").replace(" ;", ";").split()
    if rng.random() < noise_p:
        for _ in range(rng.randint(1, 2)):
            junk = _pick(rng, NOISE_WORDS + FILLERS) if rng.random() < 0.7 else \
                "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 8)))
            words.insert(rng.randint(0, len(words)), junk)
    return " ".join(words)


def normalize(text):
    """BertNormalizer with lowercase (and so accent stripping), as tokenizer.json does."""
    text = unicodedata.normalize("NFD", text.lower())
    return "".join(c for c in text if unicodedata.category(c) != "Mn")


def domain_json():
    return {
        "colors": {k: list(v) for k, v in COLORS.items()},
        "positions": {k: list(v) for k, v in POSITIONS.items()},
        "sizes": SIZES,
        "shapes": SHAPES,
    }
