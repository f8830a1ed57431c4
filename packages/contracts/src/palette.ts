import { z } from 'zod';
import { MAX_PALETTE_COLORS } from './plain.js';

export { MAX_PALETTE_COLORS } from './plain.js';

/** 1-8 "#rrggbb" colors (palette lock). */
export const Palette = z
  .array(z.string().regex(/^#[0-9a-fA-F]{6}$/, { message: 'palette colors are #rrggbb' }))
  .min(1)
  .max(MAX_PALETTE_COLORS);
