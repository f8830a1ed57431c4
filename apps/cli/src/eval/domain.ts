import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/** models/<model>/domain.json, written by the training code so palette and layout never drift. */
export const Domain = z.object({
  colors: z.record(z.string(), z.tuple([z.number(), z.number(), z.number()])),
  /** shape centre as fractions of (width, height) */
  positions: z.record(z.string(), z.tuple([z.number(), z.number()])),
  /** shape half-extent as a fraction of min(width, height) */
  sizes: z.record(z.string(), z.number()),
  shapes: z.array(z.string()).min(1),
});
export type Domain = z.infer<typeof Domain>;

export function loadDomain(modelDir: string): Domain {
  const file = path.join(modelDir, 'domain.json');
  return Domain.parse(JSON.parse(readFileSync(file, 'utf8')));
}
