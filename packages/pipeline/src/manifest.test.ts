// model.json is checked by hand (manifest.ts) so rendering one image never loads zod; this
// keeps the hand-written checks equal to the zod schema they replaced, message for message.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { manifestIssues } from './manifest.js';

const positiveInt = z.number().int().positive();
const size = z.object({ width: positiveInt, height: positiveInt });
const ZodManifest = z
  .object({
    name: z.string().min(1),
    variant: z.enum(['schnell', 'dev']),
    description: z.string().optional(),
    files: z.object({ clip: z.string(), t5: z.string(), transformer: z.string(), vaeDecoder: z.string(), vaeEncoder: z.string().optional() }),
    tokenizers: z.object({ clip: z.string(), t5: z.string() }),
    textLengths: z.object({ clip: positiveInt, t5: positiveInt }),
    latentChannels: positiveInt,
    vae: z.object({ scalingFactor: z.number().positive(), shiftFactor: z.number() }),
    steps: z.object({ default: positiveInt, min: positiveInt, max: positiveInt }),
    resolution: z.object({ min: positiveInt, max: positiveInt, multiple: positiveInt }),
    defaultSize: size,
    baseSize: size.optional(),
    maxPixels: positiveInt.optional(),
    rawVariant: z.string().min(1).optional(),
    ultra: z.object({ mode: z.enum(['native', 'refine']), strength: z.number().gt(0).max(1).optional() }).optional(),
    trainedSizes: z.array(size).min(1).optional(),
    guidance: z.object({ default: z.number() }).optional(),
    regionPrompts: z
      .object({
        sizes: z.array(z.object({ word: z.string().min(1), halfExtent: z.number().gt(0), synonyms: z.array(z.string().min(1)).optional() })).min(1).optional(),
        mode: z.enum(['regional', 'collage']).optional(),
        collageStrength: z.number().min(0).max(1).optional(),
      })
      .optional(),
    moderation: z
      .object({
        classifier: z.string(),
        labels: z.array(z.string().min(1)).min(1),
        thresholds: z.record(z.string(), z.number().min(0).max(1)),
        maxSide: positiveInt.optional(),
        description: z.string().optional(),
      })
      .refine((m) => m.labels.every((label) => label in m.thresholds), { message: 'moderation.thresholds needs a threshold for every label' })
      .optional(),
  })
  .loose();

const zodIssues = (raw: unknown) => {
  const parsed = ZodManifest.safeParse(raw);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
};

const shipped = JSON.parse(
  readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'models', 'tiny-shapes', 'model.json'), 'utf8'),
) as Record<string, unknown>;

/** A copy of the shipped manifest with `key` (a dotted path) set to value (undefined: removed). */
function withValue(key: string, value: unknown): unknown {
  const copy = structuredClone(shipped);
  const parts = key.split('.');
  let target = copy as Record<string, unknown>;
  for (const part of parts.slice(0, -1)) target = target[part] as Record<string, unknown>;
  if (value === undefined) delete target[parts.at(-1)!];
  else target[parts.at(-1)!] = value;
  return copy;
}

describe('model.json checks', () => {
  it('accept the shipped manifest', () => {
    expect(manifestIssues(shipped)).toEqual([]);
  });

  const cases: [string, unknown][] = [
    ['name', ''], ['name', undefined], ['variant', 'pro'], ['variant', 3], ['description', 5], ['files', null], ['files', []],
    ['files.clip', undefined], ['files.vaeEncoder', 7], ['tokenizers.t5', null], ['textLengths.clip', 1.5], ['textLengths.t5', 0],
    ['latentChannels', -3], ['latentChannels', '16'], ['vae.scalingFactor', 0], ['vae.shiftFactor', 'x'], ['steps', undefined],
    ['resolution.multiple', 2.5], ['defaultSize.width', null], ['baseSize', { width: 64 }], ['maxPixels', 0], ['rawVariant', ''],
    ['ultra', { mode: 'zoom' }], ['ultra', { mode: 'refine', strength: 0 }], ['ultra', { mode: 'refine', strength: 1.5 }], ['ultra.strength', 1],
    ['trainedSizes', []], ['trainedSizes', { width: 64, height: 64 }], ['trainedSizes', [{ width: 64 }]], ['trainedSizes', [{ width: 96, height: 0 }]], ['trainedSizes', undefined],
    ['guidance', { default: 'high' }], ['guidance', 3], ['moderation.labels', []], ['moderation.labels', ['']], ['moderation.labels', 'red'],
    ['moderation.thresholds', { red_triangle: 2 }], ['moderation.thresholds', { other: 0.5 }], ['moderation.thresholds', null],
    ['regionPrompts', 'small'], ['regionPrompts.sizes', []], ['regionPrompts.sizes', [{ word: 'small' }]],
    ['regionPrompts.sizes', [{ word: '', halfExtent: 0 }]], ['regionPrompts.sizes', [{ word: 'small', halfExtent: 0.1, synonyms: 'tiny' }]],
    ['regionPrompts.mode', 'paste'], ['regionPrompts.mode', 1], ['regionPrompts.collageStrength', -0.1], ['regionPrompts.collageStrength', 1.5],
    ['regionPrompts.collageStrength', '0'], ['regionPrompts.mode', undefined],
    ['moderation.maxSide', 0.5], ['moderation.classifier', undefined], ['moderation', 'yes'], ['extra', { anything: true }],
  ];
  it.each(cases)('report %s = %j as zod did', (key, value) => {
    const raw = withValue(key, value);
    expect(manifestIssues(raw)).toEqual(zodIssues(raw));
  });

  it('report a manifest that is not an object as zod did', () => {
    for (const raw of [null, [], 'model', 3]) expect(manifestIssues(raw)).toEqual(zodIssues(raw));
  });
});
