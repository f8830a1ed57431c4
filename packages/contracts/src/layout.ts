import { z } from 'zod';

/** Most objects one layout (or scene) may place: each costs one more transformer row per step. */
export const MAX_LAYOUT_OBJECTS = 8;
/** Longest object or background prompt, in characters. */
export const MAX_REGION_PROMPT_CHARS = 500;

const fraction = z.number().min(0).max(1);
const regionPrompt = (what: string) => z.string().trim().min(1, { message: `${what} must not be empty` }).max(MAX_REGION_PROMPT_CHARS);
const label = z.string().trim().min(1).max(64).describe('class name written to dataset annotations (default: the prompt)');

export const LayoutBox = z
  .tuple([fraction, fraction, fraction, fraction])
  .refine(([x0, y0, x1, y1]) => x0 < x1 && y0 < y1, { message: 'box must be [x0, y0, x1, y1] with x0 < x1 and y0 < y1' })
  .describe('[x0, y0, x1, y1] as fractions of the image width and height; (0, 0) is the top left');

export const LayoutObject = z
  .object({ box: LayoutBox, prompt: regionPrompt('object prompt').describe('what to draw inside the box'), label: label.optional() })
  .strict();
export type LayoutObject = z.infer<typeof LayoutObject>;

/** How a layout is drawn; absent: the model's default (model.json `regionPrompts.mode`, else regional). */
export const LayoutMode = z
  .enum(['regional', 'collage'])
  .describe("'regional': every prompt steers its box within one denoising run; 'collage': each object rendered alone at the model's best size, scaled into its box and pasted on the background (default: the model's)");
export type LayoutMode = z.infer<typeof LayoutMode>;

/** `layout` of a job: each object's prompt steers the image inside its box (regional guidance). */
export const Layout = z
  .object({
    background: regionPrompt('background').optional().describe("prompt for everything outside the boxes (default: the job's prompt)"),
    objects: z.array(LayoutObject).min(1).max(MAX_LAYOUT_OBJECTS),
    mode: LayoutMode.optional(),
  })
  .strict()
  .describe('regions of the image with their own prompts');
export type Layout = z.infer<typeof Layout>;

const vec3 = z.tuple([z.number().finite(), z.number().finite(), z.number().finite()]);

export const SceneCamera = z
  .object({
    position: vec3.describe('camera position in world units'),
    look_at: vec3.describe('the point the camera looks at'),
    up: vec3.optional().describe('world up direction (default [0, 0, 1], as in Blender)'),
    fov_deg: z.number().gt(1).lt(179).optional().describe('horizontal field of view in degrees (default 39.6, Blender\'s 50 mm lens on a 36 mm sensor)'),
  })
  .strict();
export type SceneCamera = z.infer<typeof SceneCamera>;

export const SceneObject = z
  .object({
    position: vec3.describe('centre of the object in world units'),
    size: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]).describe('extent along the world x, y and z axes'),
    prompt: regionPrompt('object prompt'),
    label: label.optional(),
  })
  .strict();
export type SceneObject = z.infer<typeof SceneObject>;

/** `scene` of a job: objects in 3D seen by a pinhole camera; the API projects it to a layout. */
export const Scene = z
  .object({
    camera: SceneCamera,
    background: regionPrompt('background').optional(),
    objects: z.array(SceneObject).min(1).max(MAX_LAYOUT_OBJECTS),
    mode: LayoutMode.optional(),
  })
  .strict()
  .describe('3D objects (axis-aligned boxes) and a pinhole camera, as a Blender export gives; projected to a layout');
export type Scene = z.infer<typeof Scene>;
