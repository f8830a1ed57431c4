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

  it('maps unknown words to [UNK] and keeps known words', () => {
    const ids = tok().encode('A Large RED zebra circle, xyzzy-style, in the centre');
    const tokens = tok().tokens(ids);
    expect(Array.from(ids).every((id) => Number.isInteger(id) && id >= 0)).toBe(true);
    expect(tokens.slice(0, 4)).toEqual(['[CLS]', 'a', 'large', 'red']);
    expect(tokens).toContain('[UNK]');
    expect(tokens).toContain('circle');
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
