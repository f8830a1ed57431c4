import { z } from 'zod';
import { ASPECT_RATIOS } from './plain.js';

export { ASPECT_RATIOS, ULTRA_PIXEL_FACTOR, sizeForAspectRatio, type SizeLimits } from './plain.js';
export const AspectRatio = z.enum(ASPECT_RATIOS);
export type AspectRatio = z.infer<typeof AspectRatio>;
