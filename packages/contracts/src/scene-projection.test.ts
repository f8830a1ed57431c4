import { describe, expect, it } from 'vitest';
import { JobInput } from './job-input.js';
import { projectScene } from './scene-projection.js';

const camera = { position: [0, -10, 0] as [number, number, number], look_at: [0, 0, 0] as [number, number, number], fov_deg: 90 };

describe('scene projection', () => {
  it('puts an object on the view axis in the middle, sized by its distance', () => {
    const r = projectScene({ camera, objects: [{ position: [0, 0, 0], size: [2, 0.001, 2], prompt: 'a red cube' }] }, 64, 64);
    // fov 90: at depth 10 the view spans ±10, so a 2-unit cube spans 0.45..0.55
    const [x0, y0, x1, y1] = r.layout!.objects[0].box;
    expect(x0).toBeCloseTo(0.45, 3);
    expect(x1).toBeCloseTo(0.55, 3);
    expect(y0).toBeCloseTo(0.45, 3);
    expect(y1).toBeCloseTo(0.55, 3);
  });

  it('maps world right and up (Blender z-up) to image right and top', () => {
    const r = projectScene({ camera, objects: [{ position: [5, 0, 5], size: [1, 1, 1], prompt: 'x', label: 'tree' }] }, 64, 64);
    const [x0, y0, x1, y1] = r.layout!.objects[0].box;
    expect((x0 + x1) / 2).toBeGreaterThan(0.7);
    expect((y0 + y1) / 2).toBeLessThan(0.3);
    expect(r.layout!.objects[0].label).toBe('tree');
  });

  it('names the object that is behind the camera or out of view', () => {
    const r = projectScene({
      camera,
      objects: [
        { position: [0, 0, 0], size: [1, 1, 1], prompt: 'ok' },
        { position: [0, -20, 0], size: [1, 1, 1], prompt: 'behind' },
        { position: [100, 0, 0], size: [1, 1, 1], prompt: 'far right' },
      ],
    }, 64, 64);
    expect(r.errors?.map((e) => e.path)).toEqual(['scene.objects.1.position', 'scene.objects.2.position']);
  });

  it('rejects bad layouts with field paths', () => {
    const bad = JobInput.safeParse({ prompt: 'x', layout: { objects: [{ box: [0.6, 0, 0.5, 1], prompt: 'a' }, { box: [0, 0, 1], prompt: '' }] } });
    expect(bad.success).toBe(false);
    const paths = bad.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['layout.objects.0.box', 'layout.objects.1.box', 'layout.objects.1.prompt']));
    const tooMany = JobInput.safeParse({ prompt: 'x', layout: { objects: Array.from({ length: 9 }, () => ({ box: [0, 0, 1, 1], prompt: 'a' })) } });
    expect(tooMany.error!.issues[0].path.join('.')).toBe('layout.objects');
  });

  it('takes a layout mode, rejects an unknown one with its field path, and carries a scene\'s mode to its layout', () => {
    const ok = JobInput.safeParse({ prompt: 'x', layout: { mode: 'collage', objects: [{ box: [0, 0, 0.5, 0.5], prompt: 'a' }] } });
    expect(ok.success).toBe(true);
    const bad = JobInput.safeParse({ prompt: 'x', layout: { mode: 'paste', objects: [{ box: [0, 0, 0.5, 0.5], prompt: 'a' }] } });
    expect(bad.error!.issues.map((i) => i.path.join('.'))).toEqual(['layout.mode']);
    const badScene = JobInput.safeParse({ prompt: 'x', scene: { mode: 1, camera: { position: [0, -10, 0], look_at: [0, 0, 0] }, objects: [{ position: [0, 0, 0], size: [1, 1, 1], prompt: 'a' }] } });
    expect(badScene.error!.issues.map((i) => i.path.join('.'))).toEqual(['scene.mode']);
    const r = projectScene({ mode: 'collage', camera: { position: [0, -10, 0], look_at: [0, 0, 0] }, objects: [{ position: [0, 0, 0], size: [1, 1, 1], prompt: 'a' }] }, 64, 64);
    expect(r.layout!.mode).toBe('collage');
  });
});
