import type { FieldError } from './errors.js';
import type { Layout, Scene } from './layout.js';

type Vec3 = [number, number, number];
const sub = (a: Vec3, b: Vec3): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const dot = (a: Vec3, b: Vec3) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const cross = (a: Vec3, b: Vec3): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const norm = (a: Vec3): Vec3 => {
  const l = Math.hypot(...a);
  return [a[0] / l, a[1] / l, a[2] / l];
};

/** Blender's default camera: 50 mm lens on a 36 mm sensor. */
export const DEFAULT_FOV_DEG = (2 * Math.atan(18 / 50) * 180) / Math.PI;
/** Points closer than this (world units, along the view axis) count as behind the camera. */
const NEAR = 1e-3;

export type ProjectionResult = { layout: Layout; errors?: undefined } | { layout?: undefined; errors: FieldError[] };

/**
 * Projects each object's axis-aligned box (its 8 corners) through a pinhole camera and takes
 * the 2D bounding box, clipped to the image: what a Blender scene would show. The horizontal
 * field of view spans the width; the vertical one follows from the aspect ratio. Objects
 * reaching behind the camera or lying wholly outside the view are errors with field paths.
 */
export function projectScene(scene: Scene, width: number, height: number): ProjectionResult {
  const { camera } = scene;
  const forward = sub(camera.look_at, camera.position);
  if (Math.hypot(...forward) === 0) return { errors: [{ path: 'scene.camera.look_at', message: 'look_at must differ from position', code: 'invalid_camera' }] };
  const f = norm(forward);
  const upIn = camera.up ?? [0, 0, 1];
  const side = cross(f, upIn);
  if (Math.hypot(...side) < 1e-9) return { errors: [{ path: 'scene.camera.up', message: 'up must not be parallel to the view direction', code: 'invalid_camera' }] };
  const r = norm(side);
  const u = cross(r, f);
  const tanX = Math.tan(((camera.fov_deg ?? DEFAULT_FOV_DEG) * Math.PI) / 360);
  const tanY = (tanX * height) / width;

  const errors: FieldError[] = [];
  const objects: Layout['objects'] = [];
  scene.objects.forEach((o, k) => {
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity, behind = false;
    for (const sx of [-0.5, 0.5]) for (const sy of [-0.5, 0.5]) for (const sz of [-0.5, 0.5]) {
      const corner: Vec3 = [o.position[0] + sx * o.size[0], o.position[1] + sy * o.size[1], o.position[2] + sz * o.size[2]];
      const d = sub(corner, camera.position);
      const depth = dot(d, f);
      if (depth <= NEAR) behind = true;
      const px = 0.5 + (dot(d, r) / depth / tanX) * 0.5;
      const py = 0.5 - (dot(d, u) / depth / tanY) * 0.5;
      x0 = Math.min(x0, px); x1 = Math.max(x1, px); y0 = Math.min(y0, py); y1 = Math.max(y1, py);
    }
    if (behind) {
      errors.push({ path: `scene.objects.${k}.position`, message: 'the object reaches behind the camera', code: 'not_visible' });
      return;
    }
    const box: [number, number, number, number] = [clamp(x0), clamp(y0), clamp(x1), clamp(y1)];
    if (box[0] >= box[2] || box[1] >= box[3]) {
      errors.push({ path: `scene.objects.${k}.position`, message: 'the object is outside the camera view', code: 'not_visible' });
      return;
    }
    objects.push({ box, prompt: o.prompt, ...(o.label ? { label: o.label } : {}) });
  });
  if (errors.length) return { errors };
  return { layout: { ...(scene.background ? { background: scene.background } : {}), objects, ...(scene.mode ? { mode: scene.mode } : {}) } };
}

function clamp(v: number): number {
  return Math.min(1, Math.max(0, v));
}
