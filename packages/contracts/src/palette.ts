import { z } from 'zod';

/** Most colors a palette may have. */
export const MAX_PALETTE_COLORS = 8;

/** 1-8 "#rrggbb" colors (palette lock). */
export const Palette = z
  .array(z.string().regex(/^#[0-9a-fA-F]{6}$/, { message: 'palette colors are #rrggbb' }))
  .min(1)
  .max(MAX_PALETTE_COLORS);
