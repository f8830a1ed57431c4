import { cpSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelLoadError, decodePngRgb, loadModel } from './index.js';
import { PromptTokenizer } from './tokenize.js';

// tools/tokenizers/make_test_tokenizers.py and tools/fixtures/make_flux_layout.py build these.
const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'test-fixtures');
const layout = path.join(fixtures, 'flux-layout');
const clipFile = path.join(fixtures, 'tokenizers', 'clip-bpe', 'tokenizer.json');
const t5File = path.join(fixtures, 'tokenizers', 't5-unigram', 'tokenizer.json');
const tmp = mkdtempSync(path.join(tmpdir(), 'ff-flux-layout-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('CLIP byte-level BPE tokenizer.json', () => {
  const clip = PromptTokenizer.fromFile(clipFile, 77);
  const tokens = (prompt: string) => {
    const ids = clip.encode(prompt);
    return clip.tokens(ids.slice(0, ids.indexOf(clip.padId, 1) + 1));
  };

  it('lowercases, ends words in </w>, wraps in <|startoftext|> … <|endoftext|> and pads with <|endoftext|>', () => {
    expect(tokens('A large RED circle, in the center!')).toEqual([
      '<|startoftext|>', 'a</w>', 'large</w>', 'red</w>', 'circle</w>', ',</w>', 'in</w>', 'the</w>', 'center</w>', '!</w>', '<|endoftext|>',
    ]);
    const ids = clip.encode('a red circle');
    expect(ids).toHaveLength(77);
    expect(clip.tokens([clip.padId])).toEqual(['<|endoftext|>']);
    expect(Array.from(ids.slice(5))).toEqual(Array(72).fill(clip.padId));
  });

  it('splits words it has never seen into subwords and bytes instead of dropping them', () => {
    // "hexagons" is not in the 300-merge vocabulary; ☃ is three UTF-8 bytes, each a byte token
    expect(tokens('Hexagons ☃').slice(1, -1)).toEqual(['he', 'xag', 'o', 'n', 's</w>', 'â', 'ĺ', 'ĥ</w>']);
  });

  it('keeps <|endoftext|> last when a prompt is truncated', () => {
    const short = PromptTokenizer.fromFile(clipFile, 8);
    const t = short.tokens(short.encode('a large red circle in the center on a blue background'));
    expect(t).toHaveLength(8);
    expect(t[0]).toBe('<|startoftext|>');
    expect(t[7]).toBe('<|endoftext|>');
  });
});

describe('T5 Unigram tokenizer.json', () => {
  const t5 = PromptTokenizer.fromFile(t5File, 32);
  const tokens = (prompt: string) => {
    const ids = t5.encode(prompt);
    return t5.tokens(ids.slice(0, ids.indexOf(1) + 1));
  };

  it('marks word starts with ▁, keeps case, appends </s> and pads with <pad> (id 0)', () => {
    expect(tokens('a large circle, in the center')).toEqual(['▁a', '▁large', '▁circle', ',', '▁in', '▁the', '▁center', '</s>']);
    expect(tokens('RED')).toEqual(['▁', 'R', 'E', 'D', '</s>']);
    const ids = t5.encode('a red circle');
    expect(t5.padId).toBe(0);
    expect(Array.from(ids.slice(4))).toEqual(Array(28).fill(0));
  });

  it('normalizes compatibility characters (NFKC) and maps characters it has no piece for to <unk>', () => {
    expect(tokens('ｒｅｄ　ｃｉｒｃｌｅ')).toEqual(['▁red', '▁circle', '</s>']);
    expect(tokens('zebra')).toEqual(['▁', 'z', 'e', 'b', 'r', 'a', '</s>']);
    expect(tokens('☃')).toEqual(['▁', '<unk>', '</s>']);
  });
});

describe('a model folder in the published FLUX.1 ONNX layout', () => {
  it('loads graphs whose weights lie in external data files next to them and counts those weights', async () => {
    const model = await loadModel(layout, { executionProviders: ['cpu'] });
    try {
      const files = ['clip.opt/model.onnx', 't5.opt/model.onnx', 't5.opt/model.onnx_data', 'transformer.opt/fp16/model.onnx',
        'transformer.opt/fp16/backbone.onnx_data', 'vae.opt/model.onnx'];
      const bytes = files.reduce((sum, f) => sum + statSync(path.join(layout, f)).size, 0);
      expect(model.providerInfo.weightBytes).toBe(bytes);
      const r = await model.generate({ prompt: 'a large red circle', seed: 9, guidance: 2 });
      const png = decodePngRgb(r.images[0].data);
      expect(png.text).toMatchObject({ model: 'flux-layout', guidance: '2' });
      // dev models feed `guidance`: another value gives another image
      const other = await model.generate({ prompt: 'a large red circle', seed: 9, guidance: 6 });
      expect(Buffer.from(other.images[0].data).equals(Buffer.from(r.images[0].data))).toBe(false);
    } finally {
      await model.release();
    }
  });

  it('says which external data file is missing, before onnxruntime tries to read it', async () => {
    const copy = path.join(tmp, 'missing-data');
    cpSync(layout, copy, { recursive: true });
    rmSync(path.join(copy, 'transformer.opt', 'fp16', 'backbone.onnx_data'));
    const err = await loadModel(copy).then(
      (m) => m.release().then(() => new Error('loaded')),
      (e: Error) => e,
    );
    expect(err).toBeInstanceOf(ModelLoadError);
    expect(err.message).toBe(
      `model.onnx: external data file ${path.join(copy, 'transformer.opt', 'fp16', 'backbone.onnx_data')} does not exist ` +
        '(it must lie next to the graph, as in the published FLUX.1 ONNX exports)',
    );
  });
});
