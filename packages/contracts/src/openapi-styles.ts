// Named schemas of the style-preset routes (the routes themselves are declared in routes/styles.ts).
import type { z } from 'zod';
import { AppliedStyle, StyleList, StylePreset, StylePresetInput } from './styles.js';

export const STYLE_SCHEMAS: Record<string, z.ZodType> = { StylePreset, StylePresetInput, StyleList, AppliedStyle };
