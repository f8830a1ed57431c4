import { describe, expect, it } from 'vitest';
import { layoutPrompts, type Box } from './regional-guidance.js';
import { backgroundPhrase, boxHalfExtent, objectRowPrompt, sizeWordFor, stripPlacement, type RegionPromptHints } from './region-prompts.js';

// tiny-shapes' model.json `regionPrompts` (its domain: small = 0.11, large = 0.2 of the shorter side)
const hints: RegionPromptHints = {
  sizes: [
    { word: 'small', halfExtent: 0.11, synonyms: ['little', 'tiny'] },
    { word: 'large', halfExtent: 0.2, synonyms: ['big', 'huge'] },
  ],
};
const small: Box = [0.1, 0.1, 0.32, 0.32];
const large: Box = [0.5, 0.5, 0.9, 0.9];
const row = (prompt: string, box: Box, background?: string) => objectRowPrompt(prompt, { box, width: 64, height: 64, background, hints });

describe('object row prompts of recentred layouts', () => {
  it('drops the words that place the object, in the phrasings users write', () => {
    expect(stripPlacement('a red circle at the top left')).toBe('a red circle');
    expect(stripPlacement('at the bottom, a large blue triangle; white background')).toBe('a large blue triangle; white background');
    expect(stripPlacement('a green square in the upper-right corner of the image on a blue background')).toBe('a green square on a blue background');
    expect(stripPlacement('a square in red on the left side')).toBe('a square in red');
    expect(stripPlacement('a dot to the right, centered')).toBe('a dot');
    expect(stripPlacement('a red circle bottom-left')).toBe('a red circle');
    // words that only look like places stay
    expect(stripPlacement('a bright red circle on a white background')).toBe('a bright red circle on a white background');
  });

  it('picks the size word whose extent best fills the box, on the shorter side of the image', () => {
    expect(sizeWordFor(small, 64, 64, hints.sizes!)?.word).toBe('small');
    expect(sizeWordFor(large, 64, 64, hints.sizes!)?.word).toBe('large');
    // the boundary is the geometric mean of the extents (equal overlap either way): side 0.297
    expect(sizeWordFor([0, 0, 0.28, 0.28], 64, 64, hints.sizes!)?.word).toBe('small');
    expect(sizeWordFor([0, 0, 0.31, 0.31], 64, 64, hints.sizes!)?.word).toBe('large');
    // a box 0.25 of a 128-wide, 64-high image is 32 pixels: half of the shorter side → large
    expect(boxHalfExtent([0, 0, 0.25, 0.5], 128, 64)).toBeCloseTo(0.25);
    expect(sizeWordFor([0, 0, 0.25, 0.5], 128, 64, hints.sizes!)?.word).toBe('large');
  });

  it('sets the size word from the box: replaces a contradicting one (synonyms too) or adds one', () => {
    expect(row('a large red circle on a white background', small)).toBe('a small red circle on a white background');
    expect(row('a huge red circle', small, 'a white background')).toBe('a small red circle on a white background');
    expect(row('an orange square', large, 'a black background')).toBe('a large orange square on a black background');
    expect(row('an orange square', small, 'a black background')).toBe('a small orange square on a black background');
    expect(row('red triangle', small)).toBe('small red triangle');
  });

  it('adds the scene background to an object prompt that has none, and keeps one the user wrote', () => {
    expect(row('a blue circle at the top right', large, 'a yellow background')).toBe('a large blue circle on a yellow background');
    expect(row('a blue circle', large, 'on purple')).toBe('a large blue circle on purple');
    expect(row('a blue circle', large, 'the background is green')).toBe('a large blue circle; the background is green');
    expect(row('a blue circle; white background', large, 'a yellow background')).toBe('a large blue circle; white background');
  });

  it('keeps the user\'s words for models without size words, and a prompt that is only a place', () => {
    expect(objectRowPrompt('a large fox at the left', { box: small, width: 64, height: 64, background: 'a snowy field' })).toBe('a large fox; a snowy field');
    expect(row('top left', small)).toBe('top left');
  });

  it('finds the background phrase of a whole-scene prompt', () => {
    expect(backgroundPhrase('a red circle and a blue square on a white background')).toBe('a white background');
    expect(backgroundPhrase('two dots; the background is blue')).toBe('the background is blue');
    expect(backgroundPhrase('a red circle')).toBeUndefined();
  });

  it('applies to recentred objects only, and not when prompts are kept as written', () => {
    const layout = { background: 'a white background', objects: [{ box: small, prompt: 'a red circle at the top left' }] };
    expect(layoutPrompts('scene', layout, { width: 64, height: 64, hints })).toEqual(['a white background', 'a small red circle on a white background']);
    expect(layoutPrompts('scene', layout, { width: 64, height: 64, hints, regional: { derivePrompts: false } })[1]).toBe('a red circle at the top left');
    expect(layoutPrompts('scene', layout, { width: 64, height: 64, hints, regional: { centerObjects: false } })[1]).toBe('a red circle at the top left');
    // no layout background: the job prompt's background phrase, not its objects
    expect(layoutPrompts('a red circle and a blue square on a black background', { objects: layout.objects }, { width: 64, height: 64, hints })[1])
      .toBe('a small red circle on a black background');
  });
});
