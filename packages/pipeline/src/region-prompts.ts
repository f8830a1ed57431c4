/**
 * The prompt each object's transformer row is conditioned on in a layout render. With recentred
 * objects (regional-guidance.ts) a row renders its object as if alone, with the box's centre
 * moved to the image centre, so its prompt must ask for exactly that: an object in the middle,
 * as large as the box, on the scene's background. What the user wrote can contradict the box:
 * a position word moves the object away from the centre the box was rolled to; a missing or
 * wrong size word draws the model's default size in a box of another size; a prompt without
 * the background paints its own background around the object, which shows as a second color
 * in the box. The user's words are kept otherwise, so this works for any model; what is
 * model-specific (its size words and the extents they draw) comes from model.json
 * (`regionPrompts`) and is skipped for models that declare none.
 */
import type { Box } from './regional-guidance.js';

/** One size word a model reads, and how large it draws a subject with it. */
export interface SizeWord {
  word: string;
  /** half the subject's extent as a fraction of the image's shorter side */
  halfExtent: number;
  /** other words with the same meaning, replaced by `word` */
  synonyms?: string[];
}

/** model.json `regionPrompts`: what the layout path may say in the model's own words. */
export interface RegionPromptHints {
  sizes?: SizeWord[];
}

const V = '(?:top|bottom|upper|lower)';
const H = '(?:left|right)';
const C = '(?:center|centre|middle)';
const OF_IMAGE = '(?:\\s+of\\s+(?:the\\s+)?(?:image|picture|frame|canvas|scene|photo))?';
const PART = '(?:\\s+(?:corner|side|edge|half|part|area))?';
// "at the top left", "in the upper-right corner", "on the left side of the image", "to the right"
const PLACE_PHRASE = new RegExp(
  `\\b(?:in|at|on|to|towards|toward|near)\\s+(?:the\\s+)?(?:${V}[\\s-]*${H}|${H}[\\s-]*${V}|${V}|${H}|${C})${PART}${OF_IMAGE}\\b`,
  'gi',
);
// bare "top left" / "bottom-right" (two words are a place in any prompt; one alone may not be)
const BARE_CORNER = new RegExp(`\\b(?:${V}[\\s-]*${H}|${H}[\\s-]*${V})${PART}\\b`, 'gi');
// "centered" / "centred" place the subject too
const CENTRED = /\b(?:centered|centred)\b/gi;

/** Removes words that place the subject in the image (the box places it); keeps the rest. */
export function stripPlacement(prompt: string): string {
  return tidy(prompt.replace(PLACE_PHRASE, ' ').replace(BARE_CORNER, ' ').replace(CENTRED, ' '));
}

/** Collapses the gaps and stray punctuation that removed words leave. */
function tidy(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .replace(/\s+([,;:.!?])/g, '$1')
    .replace(/([,;:])(?:\s*[,;:])+/g, '$1')
    .replace(/^[\s,;:]+|[\s,;:]+$/g, '')
    .trim();
}

/** Half the box's larger side in pixels, over the image's shorter side: the scale size words use. */
export function boxHalfExtent(box: Box, width: number, height: number): number {
  return Math.max((box[2] - box[0]) * width, (box[3] - box[1]) * height) / 2 / Math.min(width, height);
}

/**
 * The size word whose subject best fills the box: nearest extent on a log scale, which is the
 * word with the highest overlap (IoU) between a subject of that extent and the box.
 */
export function sizeWordFor(box: Box, width: number, height: number, sizes: readonly SizeWord[]): SizeWord | undefined {
  const h = boxHalfExtent(box, width, height);
  let best: SizeWord | undefined, bestD = Infinity;
  for (const s of sizes) {
    const d = Math.abs(Math.log(h / s.halfExtent));
    if (d < bestD) [best, bestD] = [s, d];
  }
  return best;
}

const escape = (w: string) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Sets the prompt's size word to `word`: replaces every size word it has, else adds one after its article. */
function withSize(prompt: string, word: string, sizes: readonly SizeWord[]): string {
  const all = sizes.flatMap((s) => [s.word, ...(s.synonyms ?? [])]);
  const any = new RegExp(`\\b(?:${all.map(escape).join('|')})\\b`, 'gi');
  if (any.test(prompt)) return tidy(prompt.replace(any, word));
  const article = /^(?:(an?|the|one)\s+)/i.exec(prompt);
  if (!article) return `${word} ${prompt}`;
  const a = article[1].toLowerCase().startsWith('a') ? 'a' : article[1];
  return `${a} ${word} ${prompt.slice(article[0].length)}`;
}

/**
 * The background phrase of a prompt ("a white background", "the background is blue"), or
 * undefined. Used when a layout has no background prompt of its own and the job's prompt
 * describes the whole scene: only its background belongs in an object's row.
 */
export function backgroundPhrase(prompt: string): string | undefined {
  const m = /\b(?:the\s+)?background\s+is\s+[\w-]+|(?:\b(?:a|an|the)\s+)?(?:[\w-]+\s+){0,2}background\b/i.exec(prompt);
  return m ? m[0].replace(/^(?:on|over|with|against|in)\s+/i, '').trim() : undefined;
}

/** "on a white background" from "a white background"; other phrasings joined after a semicolon. */
function joinBackground(object: string, background: string): string {
  const bg = tidy(background.replace(/[.!]+$/, ''));
  if (!bg) return object;
  if (/^(?:on|over|with|against)\b/i.test(bg)) return `${object} ${bg}`;
  if (/\bbackground$/i.test(bg)) return `${object} on ${bg}`;
  return `${object}; ${bg}`;
}

export interface ObjectPromptContext {
  box: Box;
  width: number;
  height: number;
  /** the scene's background prompt, added when the object's prompt names no background */
  background?: string;
  hints?: RegionPromptHints;
}

/**
 * The prompt of a recentred object's row: placement words removed, the size word chosen from
 * the box (models with `sizes`), and the scene's background when the object's prompt has none.
 * (An explicit "in the center" was measured too: tiny-shapes reads an unplaced object as
 * centred already, and eval:layout and eval:labels gave the same counts with and without it.)
 */
export function objectRowPrompt(prompt: string, ctx: ObjectPromptContext): string {
  const { hints = {} } = ctx;
  let out = stripPlacement(prompt);
  if (!out) return prompt; // nothing but placement words: leave the user's prompt alone
  if (hints.sizes?.length) {
    const size = sizeWordFor(ctx.box, ctx.width, ctx.height, hints.sizes);
    if (size) out = withSize(out, size.word, hints.sizes);
  }
  const hasBackground = /\bbackground\b/i.test(out);
  if (!hasBackground && ctx.background) out = joinBackground(out, ctx.background);
  return tidy(out);
}
