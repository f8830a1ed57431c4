import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PromptTokenizer } from './tokenize.js';

// The tokenizer shipped with models/tiny-shapes (made by tools/tiny-shapes).
const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'models', 'tiny-shapes', 'tokenizer.json');

describe('the shipped tiny-shapes tokenizer', () => {
  it('exists', () => {
    expect(existsSync(file)).toBe(true);
  });

  const tok = () => PromptTokenizer.fromFile(file, 32);

  // WordPiece with single letters as pieces (tools/tiny-shapes/domain.py vocabulary): a word
  // outside the vocabulary is spelt in letter pieces instead of one [UNK], so plurals and unknown
  // words degrade gracefully; [UNK] is left for a word with a character no piece covers.
  it('keeps known words, spells unknown words in letter pieces, and keeps [UNK] for uncovered characters', () => {
    const ids = tok().encode('A Large RED zebra circles, xyzzy-style, in the centre ☃');
    const tokens = tok().tokens(ids);
    expect(Array.from(ids).every((id) => Number.isInteger(id) && id >= 0)).toBe(true);
    expect(tokens.slice(0, 4)).toEqual(['[CLS]', 'a', 'large', 'red']);
    expect(tokens.slice(4, 9)).toEqual(['z', '##e', '##b', '##r', '##a']);
    expect(tokens).toContain('circles');
    expect(tokens).toContain('centre');
    expect(tokens.filter((t) => t === '[UNK]')).toEqual(['[UNK]']);
    expect(tokens).toContain('[SEP]');
    expect(tokens.at(-1)).toBe('[PAD]');
  });

  it('truncates a long prompt to 32 ids ending with [SEP]', () => {
    const long = Array.from({ length: 40 }, () => 'red').join(' ');
    const tokens = tok().tokens(tok().encode(long));
    expect(tokens).toHaveLength(32);
    expect(tokens[0]).toBe('[CLS]');
    expect(tokens[31]).toBe('[SEP]');
    expect(tokens.slice(1, 31).every((t) => t === 'red')).toBe(true);
  });
});
