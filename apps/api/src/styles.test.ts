// Style presets and raw through the API against the real Redis (no worker: a heartbeat announces
// the models, jobs stay queued): the routes, a job naming a preset, and raw's rules.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuiltApi } from './index.js';
import { SCHNELL_LIMITS, startQueuedApi, type QueuedApi } from '../../../test/support/queued-api.js';

let queued: QueuedApi;
let api: BuiltApi;
const acme = 'Bearer key-acme';
const globex = 'Bearer key-globex';

const base = SCHNELL_LIMITS;

beforeAll(async () => {
  queued = await startQueuedApi({ API_KEYS: 'key-acme:acme,key-globex:globex' }, [{ name: 'shapes', ...base, raw_variant: 'shapes-raw' }, { name: 'shapes-raw', ...base }]);
  api = queued.api;
});

afterAll(() => queued?.close());

const put = (name: string, body: unknown, auth = acme) => request(api.app).put(`/v1/styles/${name}`).set('Authorization', auth).send(body as object);
const submit = (body: unknown, auth = acme) => request(api.app).post('/v1/jobs').set('Authorization', auth).send(body as object);

describe('style presets', () => {
  it('lists the built-ins, and each tenant sees only its own presets', async () => {
    expect((await put('house', { prompt_template: 'a large {prompt} at the top on a white background', defaults: { steps: 6 } })).status).toBe(201);
    const mine = await request(api.app).get('/v1/styles').set('Authorization', acme);
    expect(mine.status).toBe(200);
    const names = mine.body.data.map((s: { name: string }) => s.name);
    expect(names).toEqual(expect.arrayContaining(['sticker', 'icon', 'banner', 'monochrome', 'brand', 'house']));
    expect(mine.body.data.find((s: { name: string }) => s.name === 'house')).toMatchObject({ source: 'tenant', defaults: { steps: 6 } });
    const theirs = await request(api.app).get('/v1/styles').set('Authorization', globex);
    expect(theirs.body.data.map((s: { name: string }) => s.name)).not.toContain('house');
    expect((await request(api.app).get('/v1/styles/house').set('Authorization', globex)).status).toBe(404);
  });

  it('replaces (200), deletes (204, then 404) and protects built-in names (409)', async () => {
    expect((await put('temp', { prompt_template: '{prompt}' })).status).toBe(201);
    expect((await put('temp', { prompt_template: 'a small {prompt}' })).status).toBe(200);
    expect((await request(api.app).get('/v1/styles/temp').set('Authorization', acme)).body.prompt_template).toBe('a small {prompt}');
    expect((await request(api.app).delete('/v1/styles/temp').set('Authorization', acme)).status).toBe(204);
    expect((await request(api.app).delete('/v1/styles/temp').set('Authorization', acme)).status).toBe(404);
    const builtin = await put('sticker', { prompt_template: '{prompt}' });
    expect(builtin.status).toBe(409);
    expect(builtin.body.code).toBe('style_builtin');
    expect((await request(api.app).delete('/v1/styles/sticker').set('Authorization', acme)).status).toBe(409);
  });

  it.each([
    ['Bad Name', { prompt_template: '{prompt}' }, 'name'],
    ['ok', { prompt_template: 'no placeholder' }, 'prompt_template'],
    ['ok', { prompt_template: '{prompt}', defaults: { steps: 0 } }, 'defaults.steps'],
    ['ok', { prompt_template: '{prompt}', defaults: { palette: ['red'] } }, 'defaults.palette.0'],
    ['ok', { prompt_template: '{prompt}', defaults: { sampler: 'x' } }, 'defaults.sampler'],
  ])('a bad preset (%s) is a 422 naming the field', async (name, body, field) => {
    const res = await put(name, body);
    expect(res.status).toBe(422);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(field);
  });

  it('a job naming a preset gets its template and defaults; the view shows the preset and what it filled in', async () => {
    const res = await submit({ prompt: 'red circle', style: 'banner', seed: 3 });
    expect(res.status).toBe(202);
    expect(res.body.input).toMatchObject({ prompt: 'red circle', style: 'banner', aspect_ratio: '21:9', width: 96, height: 48 });
    expect(res.body.style).toMatchObject({ prompt: 'a large red circle on the left on a blue background', applied: ['aspect_ratio'], preset: { name: 'banner', source: 'builtin' } });
    // the job's own values win over the preset's
    const own = await submit({ prompt: 'red circle', style: 'brand', steps: 3 });
    expect(own.body.input).toMatchObject({ steps: 3, palette: ['#1d3557', '#e63946', '#f1faee', '#ffb703'] });
    expect(own.body.style.applied).toEqual(['palette']);
    const got = await request(api.app).get(`/v1/jobs/${res.body.id}`).set('Authorization', acme);
    expect(got.body.style.prompt).toBe('a large red circle on the left on a blue background');
  });

  it('an unknown style is a 422 on style', async () => {
    const res = await submit({ prompt: 'red circle', style: 'house-of-globex' });
    expect(res.status).toBe(422);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(['style']);
  });
});

describe('raw', () => {
  it("goes to the model's raw variant and records raw", async () => {
    const res = await submit({ prompt: 'a red circle', raw: true });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ model: 'shapes-raw', input: { raw: true }, style: null });
  });

  it('refuses a style or palette beside raw (422 naming each)', async () => {
    const res = await submit({ prompt: 'a red circle', raw: true, style: 'sticker', palette: ['#000000'] });
    expect(res.status).toBe(422);
    expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['palette', 'style']);
  });
});
