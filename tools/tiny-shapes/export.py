"""ONNX export of the tiny-shapes networks with the FLUX.1 tensor names, plus the model
folder's manifest, tokenizer.json and domain.json."""
import json
import os

import torch

import domain

OPSET = 17


class ClipExport(torch.nn.Module):
    def __init__(self, enc):
        super().__init__()
        self.enc = enc

    def forward(self, input_ids):
        text, pooled = self.enc(input_ids)
        return text, pooled


def export_clip(clip, path, text_len):
    ids = torch.ones(1, text_len, dtype=torch.int32)
    torch.onnx.export(ClipExport(clip), (ids,), path, opset_version=OPSET,
                      input_names=["input_ids"], output_names=["text_embeddings", "pooled_embeddings"],
                      dynamic_axes={"input_ids": {0: "B", 1: "L"}, "text_embeddings": {0: "B", 1: "L"},
                                    "pooled_embeddings": {0: "B"}})


def export_t5(t5, path, text_len):
    ids = torch.ones(1, text_len, dtype=torch.int32)
    torch.onnx.export(t5, (ids,), path, opset_version=OPSET,
                      input_names=["input_ids"], output_names=["text_embeddings"],
                      dynamic_axes={"input_ids": {0: "B", 1: "L"}, "text_embeddings": {0: "B", 1: "L"}})


def export_transformer(tr, path, text_len):
    s = 16
    args = (torch.randn(1, s, 64), torch.randn(1, text_len, 64), torch.randn(1, 64), torch.ones(1),
            torch.zeros(s, 3), torch.zeros(text_len, 3))
    torch.onnx.export(tr, args, path, opset_version=OPSET,
                      input_names=["hidden_states", "encoder_hidden_states", "pooled_projections", "timestep",
                                   "img_ids", "txt_ids"],
                      output_names=["latent"],
                      dynamic_axes={"hidden_states": {0: "B", 1: "S"}, "encoder_hidden_states": {0: "B", 1: "L"},
                                    "pooled_projections": {0: "B"}, "timestep": {0: "B"}, "img_ids": {0: "S"},
                                    "txt_ids": {0: "L"}, "latent": {0: "B", 1: "S"}})


def export_decoder(dec, path, text_len=None):
    torch.onnx.export(dec, (torch.randn(1, 16, 8, 8),), path, opset_version=OPSET,
                      input_names=["latent"], output_names=["images"],
                      dynamic_axes={"latent": {0: "B", 2: "h", 3: "w"}, "images": {0: "B", 2: "H", 3: "W"}})


def export_encoder(enc, path, text_len=None):
    """FLUX naming: images [B,3,H,W] in [-1,1] -> latent [B,16,H/8,W/8] (before shift and scale)."""
    torch.onnx.export(enc, (torch.randn(1, 3, 64, 64),), path, opset_version=OPSET,
                      input_names=["images"], output_names=["latent"],
                      dynamic_axes={"images": {0: "B", 2: "H", 3: "W"}, "latent": {0: "B", 2: "h", 3: "w"}})


def export_all(out, clip, t5, tr, dec, shift, scale, text_len, info, enc=None, extra=None):
    """`extra`: manifest fields this script does not make (ultra, baseSize, moderation, ...), kept as given."""
    with torch.no_grad():
        export_clip(clip, os.path.join(out, "clip.onnx"), text_len)
        export_t5(t5, os.path.join(out, "t5.onnx"), text_len)
        export_transformer(tr, os.path.join(out, "transformer.onnx"), text_len)
        export_decoder(dec, os.path.join(out, "vae_decoder.onnx"))
        if enc is not None:
            export_encoder(enc, os.path.join(out, "vae_encoder.onnx"))
    write_tokenizer(os.path.join(out, "tokenizer.json"))
    with open(os.path.join(out, "domain.json"), "w") as f:
        json.dump(domain.domain_json(), f, indent=2)
    manifest = {
        "name": "tiny-shapes",
        "variant": "schnell",
        "description": "Flat circles, squares and triangles on solid backgrounds; FLUX.1 ONNX interface.",
        "files": {"clip": "clip.onnx", "t5": "t5.onnx", "transformer": "transformer.onnx",
                  "vaeDecoder": "vae_decoder.onnx", **({"vaeEncoder": "vae_encoder.onnx"} if enc is not None else {})},
        "tokenizers": {"clip": "tokenizer.json", "t5": "tokenizer.json"},
        "textLengths": {"clip": text_len, "t5": text_len},
        "latentChannels": 16,
        "vae": {"scalingFactor": round(scale, 6), "shiftFactor": round(shift, 6)},
        "steps": {"default": 4, "min": 1, "max": 50},
        "resolution": {"min": 32, "max": 256, "multiple": 16},
        "defaultSize": {"width": 64, "height": 64},
    }
    manifest.update({k: v for k, v in (extra or {}).items() if k not in manifest})
    with open(os.path.join(out, "model.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    with open(os.path.join(out, "training.json"), "w") as f:
        json.dump(info, f, indent=2)
        f.write("\n")


def write_tokenizer(path):
    vocab = domain.vocabulary()
    ids = {w: i for i, w in enumerate(vocab)}
    added = [{"id": ids[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": True} for t in domain.SPECIALS]
    tok = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                       "strip_accents": None, "lowercase": True},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
            "special_tokens": {t: {"id": t, "ids": [ids[t]], "tokens": [t]} for t in ("[CLS]", "[SEP]")},
        },
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100, "vocab": ids},
    }
    with open(path, "w") as f:
        json.dump(tok, f, indent=1)
        f.write("\n")
