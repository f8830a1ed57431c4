"""Slot conditioning for tiny-shapes (recipe "slots").

Instead of a sequence of per-token text features, from which the small flow transformer would
have to learn which color and size belong to which noun (attribute binding: it did not learn it
in 14,000 CPU steps, 0 % on two-shape scenes), the text side is a PARSER: a small transformer
over the tokens plus K=4 slot queries (slot 0: the background; slots 1-3: the objects in order of
mention) trained, supervised, to predict each slot's attributes. Each slot's embedding is a fixed
function of the predicted probabilities (probabilities x fixed attribute tables), so every object
is fully described by one near one-hot token and the image model has no binding to learn.

t5.onnx: input_ids [B,L] -> text_embeddings [B,L,64]; the K slot embeddings are the first K rows,
the rest zeros (the pipeline builds txt_ids of length textLengths.t5; the flow transformer reads
only the first K rows). clip.onnx: the same plus pooled [B,64] = the sum of the slot embeddings.

Defaults are the parser's to resolve: the grammar leaves out only attributes equal to their
default (domain.py), so the target of a caption is always the full scene it was made from; an
unknown color word is trained to read as the default color, never as "no shape" ('present'
is learned from the nouns).
"""
import math
import random

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import domain
import model as nets

K = 4
DIM = 64
COLORS = list(domain.COLORS)
SHAPES = list(domain.SHAPES)
SIZES = list(domain.SIZES)
POSITIONS = list(domain.POSITIONS)
N_FREQ = 4


def _fourier(fx, fy):
    """The same features model.grid_position gives an image token at fraction (fx, fy):
    [sin(i), sin(j)] x freqs then cos — so a linear map can compare a slot's place with a token's."""
    out = []
    for fn in (math.sin, math.cos):
        for v in (fy, fx):  # grid_position flattens (i, j) = (row, column), freqs innermost
            out += [fn(v * math.pi * 2.0 ** f) for f in range(N_FREQ)]
    return out


def _tables():
    """Fixed tables: attribute value -> its columns in the 64-d slot embedding."""
    t = {}
    # layout of the embedding (columns):
    # 0 object flag, 1 background flag, 2-4 shape, 5-12 color, 13-15 color RGB, 16-17 size,
    # 18 radius, 19-27 position, 28-43 Fourier(position), 44-51 background color, 52-54 its RGB
    shape = torch.zeros(len(SHAPES), DIM)
    for i in range(len(SHAPES)):
        shape[i, 2 + i] = 1.0
    color = torch.zeros(len(COLORS), DIM)
    bg = torch.zeros(len(COLORS), DIM)
    for i, c in enumerate(COLORS):
        rgb = [v / 127.5 - 1.0 for v in domain.COLORS[c]]
        color[i, 5 + i] = 1.0
        color[i, 13:16] = torch.tensor(rgb)
        bg[i, 1] = 1.0
        bg[i, 44 + i] = 1.0
        bg[i, 52:55] = torch.tensor(rgb)
    size = torch.zeros(len(SIZES), DIM)
    for i, s in enumerate(SIZES):
        size[i, 16 + i] = 1.0
        size[i, 18] = domain.SIZES[s] / 0.2
    pos = torch.zeros(len(POSITIONS), DIM)
    for i, p in enumerate(POSITIONS):
        fx, fy = domain.POSITIONS[p]
        pos[i, 19 + i] = 1.0
        pos[i, 28:44] = torch.tensor(_fourier(fx, fy))
    present = torch.zeros(1, DIM)
    present[0, 0] = 1.0
    return {"shape": shape, "color": color, "size": size, "position": pos, "background": bg, "present": present}


TABLES = _tables()
HEADS = {"shape": len(SHAPES), "color": len(COLORS), "size": len(SIZES), "position": len(POSITIONS)}


def slot_embedding(probs, tables=TABLES):
    """probs: {"background": [B,8], "present": [B,3] (objects 1-3), "shape"/"color"/"size"/
    "position": [B,3,n]} -> [B,K,64]. An object slot is scaled by its presence, so an absent
    object is (near) a zero row."""
    bg = (probs["background"] @ tables["background"])[:, None]
    obj = sum(probs[a] @ tables[a] for a in HEADS) + tables["present"][0]
    obj = obj * probs["present"][..., None]
    return torch.cat([bg, obj], dim=1)


def scene_probs(scenes, smooth=0.0, rng=None):
    """Ground-truth one-hot probabilities of scenes (for training the image model), optionally
    softened towards random distributions by up to `smooth` (parser outputs are not exactly
    one-hot; the image model should not depend on exact ones)."""
    b = len(scenes)
    out = {"background": torch.zeros(b, len(COLORS)), "present": torch.zeros(b, K - 1)}
    for a, n in HEADS.items():
        out[a] = torch.zeros(b, K - 1, n)
    for i, sc in enumerate(scenes):
        out["background"][i, COLORS.index(sc["background"])] = 1.0
        for k, s in enumerate(sc["shapes"]):
            out["present"][i, k] = 1.0
            for a, values in (("shape", SHAPES), ("color", COLORS), ("size", SIZES), ("position", POSITIONS)):
                out[a][i, k, values.index(s[a])] = 1.0
    if smooth > 0:
        g = torch.Generator().manual_seed(rng.randrange(1 << 30)) if rng else None
        for a, p in out.items():
            eps = smooth * torch.rand(p.shape[:-1] + (1,) if a != "present" else p.shape, generator=g)
            if a == "present":
                out[a] = p * (1 - eps) + eps * (1 - p) * 0.5
            else:
                noise = torch.softmax(2.0 * torch.randn(p.shape, generator=g), dim=-1)
                out[a] = p * (1 - eps) + eps * noise
    return out


def scene_targets(scenes):
    """Class indices for the parser's losses; -100 where a slot is absent (ignored)."""
    b = len(scenes)
    t = {"background": torch.tensor([COLORS.index(s["background"]) for s in scenes]),
         "present": torch.zeros(b, K - 1)}
    for a in HEADS:
        t[a] = torch.full((b, K - 1), -100, dtype=torch.long)
    for i, sc in enumerate(scenes):
        for k, s in enumerate(sc["shapes"]):
            t["present"][i, k] = 1.0
            for a, values in (("shape", SHAPES), ("color", COLORS), ("size", SIZES), ("position", POSITIONS)):
                t[a][i, k] = values.index(s[a])
    return t


class Parser(nn.Module):
    """Tokens + K slot queries through one transformer (slots attend to tokens and to each other;
    tokens do not attend to slots), heads per slot, embedding = probabilities x fixed tables."""

    def __init__(self, vocab_size, max_len, width=96, layers=3, heads=4, pooled=False):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, width)
        self.pos = nn.Parameter(torch.randn(max_len, width) * 0.02)
        self.queries = nn.Parameter(torch.randn(K, width) * 0.02)
        self.layers = nn.ModuleList([nets.EncoderLayer(width, heads) for _ in range(layers)])
        self.norm = nn.LayerNorm(width)
        self.bg_head = nn.Linear(width, len(COLORS))
        self.present_head = nn.Linear(width, 1)
        self.heads = nn.ModuleDict({a: nn.Linear(width, n) for a, n in HEADS.items()})
        for name, tab in TABLES.items():
            self.register_buffer("table_" + name, tab.clone())
        self.pooled = pooled

    def logits(self, input_ids):
        ids = input_ids.long()
        b, n = ids.shape
        x = torch.cat([self.embed(ids) + self.pos[:n], self.queries[None].expand(b, K, -1)], dim=1)
        keep = torch.cat([(ids != 0).float(), torch.ones(b, K, device=ids.device)], dim=1)
        mask_bias = ((1.0 - keep) * -1e4)[:, None, None, :]
        for layer in self.layers:
            x = layer(x, mask_bias)
        s = self.norm(x[:, n:])
        out = {"background": self.bg_head(s[:, 0]), "present": self.present_head(s[:, 1:]).squeeze(-1)}
        for a, h in self.heads.items():
            out[a] = h(s[:, 1:])
        return out, x[:, :n]

    def forward(self, input_ids):
        lg, tokens = self.logits(input_ids)
        probs = {"background": torch.softmax(lg["background"], -1), "present": torch.sigmoid(lg["present"])}
        for a in HEADS:
            probs[a] = torch.softmax(lg[a], -1)
        tables = {name: getattr(self, "table_" + name) for name in TABLES}
        slots = slot_embedding(probs, tables)
        # the rest of the sequence: zeros of the input's length (txt_ids has textLengths.t5 rows)
        rest = torch.zeros_like(tokens[:, K:, :1]).expand(-1, -1, DIM)
        seq = torch.cat([slots, rest], dim=1)
        if not self.pooled:
            return seq
        return seq, slots.sum(1)


def parser_loss(lg, t):
    loss = F.cross_entropy(lg["background"], t["background"]) + F.binary_cross_entropy_with_logits(lg["present"], t["present"])
    for a in HEADS:
        loss = loss + F.cross_entropy(lg[a].reshape(-1, lg[a].shape[-1]), t[a].reshape(-1), ignore_index=-100)
    return loss


def random_word(rng):
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9)))


# Grammar words the parser also sees replaced by unknown words (parser_caption).
REPLACEABLE = {"background", "with", "over", "and", "plus"}


def parser_caption(scene, rng):
    """A grammar caption with more noise than the image model needs: unknown words anywhere
    (known noise words and random letter strings), so that words outside the grammar are read as
    nothing. Held-out templates of the eval (apps/cli/src/eval/scene-cases.ts) are never made."""
    text = domain.caption(scene, rng, noise_p=0.4)
    if len(scene["shapes"]) == 1 and rng.random() < 0.12:
        # the background phrase between the shape and its place ("the red large circle with a
        # white background at the bottom"): a phrasing of the v1 grammar the v2 grammar lacks
        s = scene["shapes"][0]
        named = {"size": not (s["size"] == domain.DEFAULT_SIZE and rng.random() < 0.3), "color": True}
        text = " ".join([domain.noun_phrase(s, rng, named), domain.background_phrase(scene["background"], rng),
                         domain.position_phrase(s["position"], rng)]).replace(" ,", ",").replace(" ;", ";")
    if rng.random() < 0.25:
        # words users have for what the grammar says ("backdrop", "wall", "behind", "against"):
        # the background noun and the connectives, each replaced by an unknown word now and
        # then, so a color word followed by an unknown noun still reads as the background
        # and an unknown connective changes nothing
        text = " ".join(random_word(rng) if w.strip(",;:") in REPLACEABLE and rng.random() < 0.5 else w
                        for w in text.split())
    if rng.random() < 0.3:
        words = text.split()
        for _ in range(rng.randint(1, 3)):
            words.insert(rng.randint(0, len(words)), random_word(rng) if rng.random() < 0.6 else rng.choice(domain.NOISE_WORDS))
        text = " ".join(words)
    return text


@torch.no_grad()
def parser_accuracy(parser, tok, n=512, seed=99):
    """Share of fresh grammar captions whose scene the parser reads exactly (argmax)."""
    rng = random.Random(seed)
    scenes = [domain.sample_scene(rng) for _ in range(n)]
    ids = torch.tensor([tok(parser_caption(s, rng)) for s in scenes], dtype=torch.int32)
    lg, _ = parser.logits(ids)
    return round(float(np.mean([read_scene(lg, i) == canonical(s) for i, s in enumerate(scenes)])), 4)


def canonical(scene):
    return {"background": scene["background"],
            "shapes": [{a: s[a] for a in ("shape", "color", "size", "position")} for s in scene["shapes"]]}


def read_scene(lg, i):
    shapes = []
    for k in range(K - 1):
        if lg["present"][i, k] > 0:
            shapes.append({a: values[int(lg[a][i, k].argmax())] for a, values in
                           (("shape", SHAPES), ("color", COLORS), ("size", SIZES), ("position", POSITIONS))})
    return {"background": COLORS[int(lg["background"][i].argmax())], "shapes": shapes}


def train_parser(tok, steps=3000, batch=64, lr=2e-3, seed=1, log=print, device="cpu", stop_at=0):
    import time
    torch.manual_seed(seed)
    rng = random.Random(seed)
    parser = Parser(len(tok.ids), tok.length).to(device)
    opt = torch.optim.AdamW(parser.parameters(), lr=lr, weight_decay=0.01)
    t0 = time.time()
    curve = []
    for step in range(1, steps + 1):
        if stop_at and time.time() > stop_at:
            break
        for g in opt.param_groups:
            g["lr"] = lr * min(1.0, step / 100) * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * step / steps)))
        scenes = [domain.sample_scene(rng) for _ in range(batch)]
        ids = torch.tensor([tok(parser_caption(s, rng)) for s in scenes], dtype=torch.int32, device=device)
        ids = ids[:, :int((ids != 0).sum(1).max())]  # padding only costs time: trim to the longest
        t = {k: v.to(device) for k, v in scene_targets(scenes).items()}
        lg, _ = parser.logits(ids)
        loss = parser_loss(lg, t)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(parser.parameters(), 1.0)
        opt.step()
        if step % 100 == 0:
            curve.append(("parser", step, round(time.time() - t0, 1), round(loss.item(), 5), None))
            log(f"parser step {step} t={time.time() - t0:.0f}s loss={loss.item():.4f}")
        if step % 1000 == 0:
            log(f"parser exact-scene accuracy at step {step}: {parser_accuracy(parser.cpu(), tok)}")
            parser.to(device)
    return parser.cpu().eval(), curve
