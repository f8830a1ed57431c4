import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PromptTokenizer } from './tokenize.js';

const fixture = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'test-fixtures', 'mini', 'tokenizer.json');

describe('PromptTokenizer (WordPiece tokenizer.json)', () => {
  const tok = PromptTokenizer.fromFile(fixture, 8);

  it('wraps the prompt in [CLS] … [SEP], lowercases, and pads with the pad id', () => {
    const ids = tok.encode('A RED Circle');
    expect(ids.length).toBe(8);
    expect(tok.tokens(ids)).toEqual(['[CLS]', 'a', 'red', 'circle', '[SEP]', '[PAD]', '[PAD]', '[PAD]']);
    expect(tok.padId).toBe(0);
  });

  it('maps unknown words to [UNK], never to a missing id', () => {
    const ids = tok.encode('a zebra circle');
    expect(Array.from(ids).every((id) => Number.isInteger(id) && id >= 0)).toBe(true);
    expect(tok.tokens(ids).slice(0, 5)).toEqual(['[CLS]', 'a', '[UNK]', 'circle', '[SEP]']);
  });

  it('truncates long prompts but keeps the end token', () => {
    const ids = tok.encode('a red circle on a blue square at the top left with a green background');
    expect(ids.length).toBe(8);
    expect(tok.tokens(ids)).toEqual(['[CLS]', 'a', 'red', 'circle', 'on', 'a', 'blue', '[SEP]']);
  });

  it('encodes a batch as rows of the fixed length', () => {
    const rows = tok.encodeBatch(['red', 'blue circle']);
    expect(rows.length).toBe(16);
    expect(tok.tokens(rows.slice(8, 12))).toEqual(['[CLS]', 'blue', 'circle', '[SEP]']);
  });
});
