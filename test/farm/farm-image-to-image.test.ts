// Image-to-image end to end: a data: URL of a rendered scene goes through the API (validated,
// stored once), the worker (read back, encoded by tiny-shapes' VAE encoder, partial schedule)
// and comes back with the prompt's new background while the shape, its color and place stay.
import { createHash } from 'node:crypto';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { analyzeImage } from '../../apps/cli/src/eval/analyze.js';
import { loadDomain } from '../../apps/cli/src/eval/domain.js';
import { evalCases } from '../../apps/cli/src/eval/prompts.js';
import { renderScene } from '../../apps/cli/src/eval/render.js';
import { MODEL, MODELS_DIR, startFarm, type Farm } from './support/farm.js';

vi.setConfig({ testTimeout: 300_000, hookTimeout: 240_000 });

type JobBody = { id: string; status: string; input: Record<string, unknown>; input_image: { sha256: string } | null; outputs: { url: string }[]; error: unknown };

const SIZE = 64;
const STRENGTH = 0.5;
const STEPS = 4;
const CASES = 24;
// The least fractions of cases that must read back as below; the measured ones are printed.
// On tiny-shapes v1 (8 cases, 4 steps) at strength 0.5 the image decided everything: shape, color
// and position kept 7/8, background from the image 8/8, the prompt's new background 0/8. The
// slot-conditioned model (issue 12) does what image-to-image is for at 0.5: the prompt's new
// background 8/8 while the image's shape, color and place were kept 6/8. Eight cases are too few
// to hold a bar: with the fine-tuned decoder they kept 5/8 while the 96-case eval rose from 57 to
// 68 % kept (eval:creative image-to-image). On these 24 cases: kept 16 (decoder before the
// fine-tune) and 15 (after), new background 23 and 24. The flow model trained with image-to-image
// pairs (MODEL_CARD.md, "Second fine-tune") keeps 23 with the new background 24 (2026-12-02; the
// 96-case eval: 92.7 % both), so the bars now sit a few cases below that.
const MIN_KEPT = 0.8;
const MIN_NEW_BACKGROUND = 0.9;

describe('image-to-image through the farm', () => {
  let farm: Farm;
  beforeAll(async () => {
    farm = await startFarm();
  });
  afterAll(() => farm?.close());

  it('starts from the image: the shape, its color and place come from it, the background from the prompt', async () => {
    const domain = loadDomain(path.join(MODELS_DIR, MODEL));
    const colors = Object.keys(domain.colors);
    const models = (await (await farm.call('GET', '/v1/models')).json()) as { data: { name: string; image_input?: boolean }[] };
    expect(models.data.find((m) => m.name === MODEL)?.image_input).toBe(true);

    const jobs = [];
    for (const c of evalCases(domain, CASES)) {
      const e = c.expected;
      const background = colors.find((k) => k !== e.background && k !== e.color && colors.indexOf(k) > colors.indexOf(e.background)) ?? colors.find((k) => k !== e.background && k !== e.color)!;
      const png = await sharp(Buffer.from(renderScene(e, SIZE, SIZE, domain)), { raw: { width: SIZE, height: SIZE, channels: 3 } }).png().toBuffer();
      const res = await farm.call('POST', '/v1/jobs', {
        body: {
          prompt: `a ${e.size} ${e.color} ${e.shape} at the ${e.position} on a ${background} background`,
          image: `data:image/png;base64,${png.toString('base64')}`, strength: STRENGTH, seed: c.seed, width: SIZE, height: SIZE, steps: STEPS,
        },
      });
      expect(res.status).toBe(202);
      const job = (await res.json()) as JobBody;
      expect(job.input_image?.sha256).toBe(createHash('sha256').update(png).digest('hex'));
      jobs.push({ id: job.id, expected: { ...e, background }, was: e.background });
    }

    let right = 0;
    const misses: string[] = [];
    let kept = 0, changed = 0, fromImage = 0;
    for (const { id, expected, was } of jobs) {
      const done = (await farm.waitForJob(id, (j) => j.status !== 'queued' && j.status !== 'running')) as JobBody;
      expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
      expect(done.input.strength).toBe(STRENGTH);
      const bytes = Buffer.from(await (await fetch(done.outputs[0].url)).arrayBuffer());
      const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      const read = analyzeImage(new Uint8Array(data), info.width, info.height, domain);
      const ok = read.background === expected.background && read.color === expected.color && read.shape === expected.shape && read.position === expected.position;
      if (read.color === expected.color && read.shape === expected.shape && read.position === expected.position) kept++;
      if (read.background === expected.background) changed++;
      if (read.background === was) fromImage++;
      if (ok) right++;
      else misses.push(`${JSON.stringify(expected)} read ${JSON.stringify({ bg: read.background, color: read.color, shape: read.shape, position: read.position })}`);
    }
    console.log(
      `image-to-image strength ${STRENGTH}, ${STEPS} steps, ${jobs.length} cases: shape/color/position kept ${kept}, background from the image ${fromImage}, ` +
        `prompt's new background ${changed}, all as prompted ${right}${misses.length ? `; misses: ${misses.join('; ')}` : ''}`,
    );
    expect(kept / jobs.length).toBeGreaterThanOrEqual(MIN_KEPT);
    expect(changed / jobs.length).toBeGreaterThanOrEqual(MIN_NEW_BACKGROUND);
  });
});
