#!/usr/bin/python3
"""Builds small tokenizer.json files of the two types FLUX.1 uses, for the pipeline's tests.

    /usr/bin/python3 tools/tokenizers/make_test_tokenizers.py

Writes packages/pipeline/test-fixtures/tokenizers/:
  clip-bpe/tokenizer.json     CLIP's type: NFC + whitespace + lowercase normalizer, CLIP's split
                              regex + ByteLevel pre-tokenizer, byte-level BPE whose words end in
                              "</w>", <|startoftext|> ... <|endoftext|> (RobertaProcessing), and
                              no padding entry (FLUX pads CLIP with <|endoftext|>)
  t5-unigram/tokenizer.json   T5's type: Precompiled + Replace normalizer, Metaspace ("▁")
                              pre-tokenizer, Unigram model with <pad>=0 </s>=1 <unk>=2, a
                              TemplateProcessing that appends </s>
The structure (component types and their fields) is that of openai/clip-vit-large-patch14 and
google/t5-v1_1-xxl tokenizer.json files; only the vocabularies are small, learned here from a
short corpus so the files are a few tens of KB. Needs only the standard library, and is
deterministic (the committed files are its output).
"""
import collections
import json
import math
import os
import re

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
OUT = os.path.join(ROOT, 'packages', 'pipeline', 'test-fixtures', 'tokenizers')

CORPUS = """
a photo of a cat sitting on a red sofa in the living room
a large red circle in the center on a blue background
a small green triangle at the top left on a white background
a medium yellow square at the bottom right on a black background
an orange star, a purple heart and a pink hexagon
the quick brown fox jumps over the lazy dog
portrait of an astronaut riding a horse on the moon, digital art, high detail
a watercolor painting of mountains at sunset with a lake and trees
circles squares triangles stars hearts colors shapes backgrounds
cinematic lighting, photorealistic, 4k, sharp focus, studio photo
a cozy cabin in the snowy forest at night with warm lights
"""

# ---------------------------------------------------------------- CLIP: byte-level BPE

def bytes_to_unicode():
    """GPT-2/CLIP's reversible byte → printable character map."""
    bs = list(range(ord('!'), ord('~') + 1)) + list(range(ord('¡'), ord('¬') + 1)) + list(range(ord('®'), ord('ÿ') + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


CLIP_SPLIT = r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"""
# Python's re has no \p{..}: the same split for the ASCII + Latin-1 corpus used here
CLIP_SPLIT_PY = r"""'s|'t|'re|'ve|'m|'ll|'d|[^\W\d_]+|\d|[^\s\w]+"""


def clip_words(text):
    b2u = bytes_to_unicode()
    text = re.sub(r'\s+', ' ', text).strip().lower()
    for w in re.findall(CLIP_SPLIT_PY, text):
        yield ''.join(b2u[b] for b in w.encode('utf-8'))


def learn_bpe(words, merges_wanted):
    """Classic BPE training on words whose last symbol carries the </w> suffix."""
    vocab = collections.Counter()
    for w in words:
        symbols = list(w)
        symbols[-1] += '</w>'
        vocab[tuple(symbols)] += 1
    merges = []
    for _ in range(merges_wanted):
        pairs = collections.Counter()
        for word, freq in vocab.items():
            for a, b in zip(word, word[1:]):
                pairs[(a, b)] += freq
        if not pairs:
            break
        (a, b), _count = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))  # deterministic ties
        merges.append((a, b))
        merged = collections.Counter()
        for word, freq in vocab.items():
            out, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and word[i] == a and word[i + 1] == b:
                    out.append(a + b)
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            merged[tuple(out)] += freq
        vocab = merged
    return merges


def clip_tokenizer():
    b2u = bytes_to_unicode()
    base = list(b2u.values())
    merges = learn_bpe(list(clip_words(CORPUS)), 300)
    tokens = base + [c + '</w>' for c in base] + [a + b for a, b in merges]
    vocab = {}
    for t in tokens:
        vocab.setdefault(t, len(vocab))
    bos, eos = len(vocab), len(vocab) + 1
    vocab['<|startoftext|>'] = bos
    vocab['<|endoftext|>'] = eos
    special = lambda i, c: {'id': i, 'content': c, 'single_word': False, 'lstrip': False, 'rstrip': False, 'normalized': True, 'special': True}
    return {
        'version': '1.0',
        'truncation': None,
        'padding': None,
        'added_tokens': [special(bos, '<|startoftext|>'), special(eos, '<|endoftext|>')],
        'normalizer': {'type': 'Sequence', 'normalizers': [
            {'type': 'NFC'},
            {'type': 'Replace', 'pattern': {'Regex': '\\s+'}, 'content': ' '},
            {'type': 'Lowercase'},
        ]},
        'pre_tokenizer': {'type': 'Sequence', 'pretokenizers': [
            {'type': 'Split', 'pattern': {'Regex': CLIP_SPLIT}, 'behavior': 'Removed', 'invert': True},
            {'type': 'ByteLevel', 'add_prefix_space': False, 'trim_offsets': True, 'use_regex': False},
        ]},
        'post_processor': {'type': 'RobertaProcessing', 'sep': ['<|endoftext|>', eos], 'cls': ['<|startoftext|>', bos],
                           'trim_offsets': False, 'add_prefix_space': False},
        'decoder': {'type': 'ByteLevel', 'add_prefix_space': True, 'trim_offsets': True, 'use_regex': True},
        'model': {'type': 'BPE', 'dropout': None, 'unk_token': '<|endoftext|>', 'continuing_subword_prefix': '',
                  'end_of_word_suffix': '</w>', 'fuse_unk': False, 'byte_fallback': False, 'ignore_merges': False,
                  'vocab': vocab, 'merges': [f'{a} {b}' for a, b in merges]},
    }

# ---------------------------------------------------------------- T5: Unigram

def t5_tokenizer():
    words = collections.Counter(re.findall(r"[a-z]+|\d|[^\sa-z\d]", CORPUS.lower()))
    pieces = collections.Counter()
    for w, n in words.items():
        pieces['▁' + w] += n
        for k in range(2, len(w)):  # prefixes and suffixes, so unseen words split into subwords
            pieces['▁' + w[:k]] += n
            pieces[w[k:]] += n
    for c in 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789,.!?-\'':  # T5 keeps case
        pieces[c] += 1
    pieces['▁'] += 1
    total = sum(pieces.values())
    ranked = sorted(pieces.items(), key=lambda kv: (-kv[1], kv[0]))[:600]
    vocab = [['<pad>', 0.0], ['</s>', 0.0], ['<unk>', 0.0]]
    vocab += [[p, round(math.log(n / total), 6)] for p, n in ranked]
    special = lambda i, c: {'id': i, 'content': c, 'single_word': False, 'lstrip': False, 'rstrip': False, 'normalized': False, 'special': True}
    return {
        'version': '1.0',
        'truncation': None,
        'padding': None,
        'added_tokens': [special(0, '<pad>'), special(1, '</s>'), special(2, '<unk>')],
        # T5's charsmap is a 200 KB blob (NFKC-like); @huggingface/tokenizers applies NFKC for
        # a Precompiled normalizer whatever the blob, so an empty one is the same type here.
        'normalizer': {'type': 'Sequence', 'normalizers': [
            {'type': 'Precompiled', 'precompiled_charsmap': ''},
            {'type': 'Replace', 'pattern': {'Regex': ' {2,}'}, 'content': ' '},
        ]},
        'pre_tokenizer': {'type': 'Metaspace', 'replacement': '▁', 'prepend_scheme': 'always', 'split': True},
        'post_processor': {
            'type': 'TemplateProcessing',
            'single': [{'Sequence': {'id': 'A', 'type_id': 0}}, {'SpecialToken': {'id': '</s>', 'type_id': 0}}],
            'pair': [{'Sequence': {'id': 'A', 'type_id': 0}}, {'SpecialToken': {'id': '</s>', 'type_id': 0}},
                     {'Sequence': {'id': 'B', 'type_id': 0}}, {'SpecialToken': {'id': '</s>', 'type_id': 0}}],
            'special_tokens': {'</s>': {'id': '</s>', 'ids': [1], 'tokens': ['</s>']}},
        },
        'decoder': {'type': 'Metaspace', 'replacement': '▁', 'prepend_scheme': 'always', 'split': True},
        'model': {'type': 'Unigram', 'unk_id': 2, 'vocab': vocab, 'byte_fallback': False},
    }


def write(name, data):
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, 'tokenizer.json'), 'w', encoding='utf-8') as f:
        json.dump(data, f, ensure_ascii=False, indent=1)
        f.write('\n')
    print('wrote', os.path.relpath(os.path.join(d, 'tokenizer.json'), ROOT))


if __name__ == '__main__':
    write('clip-bpe', clip_tokenizer())
    write('t5-unigram', t5_tokenizer())
