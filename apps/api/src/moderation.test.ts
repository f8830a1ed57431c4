// Prompt moderation through the API against the real Redis: a blocked prompt ends as
// `moderated` at submit (never queued), with its terminal notice; operators manage the global
// and per-tenant policies through /v1/admin/moderation.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noticeJobId, type JobNotice } from '@flowfarm/contracts';
import { buildApi, loadConfig, type BuiltApi } from './index.js';

const prefix = `ff-test-${randomUUID()}`;
let api: BuiltApi;
let dataDir: string;
const notices: JobNotice[] = [];
const acme = 'Bearer key-acme';
const admin = 'Bearer admin-secret';

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'ff-mod-'));
  const config = loadConfig({ REDIS_PREFIX: prefix, DATA_DIR: dataDir, API_KEYS: 'key-acme:acme,key-globex:globex', ADMIN_API_KEY: 'admin-secret', LOG_LEVEL: 'silent' });
  api = buildApi(config, { logger: pino({ level: 'silent' }), notifier: { notify: async (notice) => void notices.push(notice) } });
  const model = { name: 'shapes', variant: 'schnell', steps: { default: 4, min: 1, max: 50 }, resolution: { min: 32, max: 256, multiple: 16 }, default_size: { width: 64, height: 64 }, guidance: null };
  await api.deps.workers.beat({ id: 'w1', host: 'h', pid: 1, models: [model], concurrency: 1, busy: 0, current_jobs: [], started_at: new Date().toISOString(), draining: false }, 60_000);
});

afterAll(async () => {
  const keys = await api.deps.redis.keys(`${prefix}*`);
  if (keys.length) await api.deps.redis.del(...keys);
  await api.close();
  await rm(dataDir, { recursive: true, force: true });
});

const submit = (body: object, auth = acme) => request(api.app).post('/v1/jobs').set('Authorization', auth).send(body);

describe('prompt moderation at submit', () => {
  it('ends a job with an evasive blocked prompt as moderated, never queued, with one terminal notice', async () => {
    const res = await submit({ prompt: 'a n.u.d.3 portrait' });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'moderated', moderation: { stage: 'prompt' }, outputs: [], input: { safety_tolerance: 2 } });
    expect(res.body.moderation.reason).toContain('nudity');
    expect(await api.deps.queues.queuePosition('shapes', res.body.id)).toBeNull();
    const again = await request(api.app).get(`/v1/jobs/${res.body.id}`).set('Authorization', acme);
    expect(again.body).toMatchObject({ status: 'moderated', finished_at: expect.any(String) });
    const events = await api.deps.store.readEvents(res.body.id);
    expect(events.map((e) => e.event.type)).toEqual(['job.queued', 'job.moderated']);
    expect(notices.filter((n) => noticeJobId(n) === res.body.id).map((n) => n.type)).toEqual(['job.moderated']);
    expect((await request(api.app).get('/v1/jobs?status=moderated').set('Authorization', acme)).body.data.map((j: { id: string }) => j.id)).toContain(res.body.id);
  });

  it('queues innocent prompts and lets safety_tolerance open gated words up to the cap', async () => {
    expect((await submit({ prompt: 'a red circle on a blue background' })).body.status).toBe('queued');
    expect((await submit({ prompt: 'a nude marble statue', safety_tolerance: 4 })).body).toMatchObject({ status: 'queued', input: { safety_tolerance: 4 } });
    expect((await submit({ prompt: 'x', safety_tolerance: 7 })).status).toBe(422);
  });

  it('applies tenant policies and caps, managed by the admin routes', async () => {
    expect((await request(api.app).put('/v1/admin/moderation/tenants/acme').set('Authorization', acme).send({})).status).toBe(403);
    const put = await request(api.app)
      .put('/v1/admin/moderation/tenants/acme')
      .set('Authorization', admin)
      .send({ terms: [{ term: 'zebra', category: 'brand safety' }], max_safety_tolerance: 1 });
    expect(put.status).toBe(200);
    const blocked = await submit({ prompt: 'a z e b r a on grass' });
    expect(blocked.body).toMatchObject({ status: 'moderated', moderation: { stage: 'prompt', reason: expect.stringContaining('brand safety') } });
    // another tenant is not affected by acme's list
    expect((await submit({ prompt: 'a zebra on grass' }, 'Bearer key-globex')).body.status).toBe('queued');
    // acme is capped at 1: asking for 6 runs at 1, so the nudity list applies
    expect((await submit({ prompt: 'a nude statue', safety_tolerance: 6 })).body).toMatchObject({ status: 'moderated', input: { safety_tolerance: 1 } });

    const check = await request(api.app).post('/v1/admin/moderation/check').set('Authorization', admin).send({ tenant: 'acme', prompt: 'ZEBRA' });
    expect(check.body).toMatchObject({ blocked: true, safety_tolerance: 1, rule: { kind: 'term', value: 'zebra', scope: 'tenant' } });
    const listed = await request(api.app).get('/v1/admin/moderation/policy').set('Authorization', admin);
    expect(listed.body).toMatchObject({ builtin: true, tenants: ['acme'] });
    expect((await request(api.app).delete('/v1/admin/moderation/tenants/acme').set('Authorization', admin)).status).toBe(204);
    expect((await submit({ prompt: 'a zebra' })).body.status).toBe('queued');
  });

  it('answers invalid policies with field paths', async () => {
    const res = await request(api.app).put('/v1/admin/moderation/policy').set('Authorization', admin).send({ patterns: [{ pattern: '(' }], max_safety_tolerance: 9 });
    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['max_safety_tolerance', 'patterns.0.pattern']);
  });

  it('replaces the global policy and resets it to the built-in one', async () => {
    await request(api.app).put('/v1/admin/moderation/policy').set('Authorization', admin).send({ terms: [{ term: 'circle' }] });
    expect((await submit({ prompt: 'a red CIRCLE' }, 'Bearer key-globex')).body.status).toBe('moderated');
    expect((await submit({ prompt: 'a nude statue' }, 'Bearer key-globex')).body.status).toBe('queued');
    expect((await request(api.app).delete('/v1/admin/moderation/policy').set('Authorization', admin)).status).toBe(204);
    expect((await submit({ prompt: 'a nude statue' }, 'Bearer key-globex')).body.status).toBe('moderated');
  });
});

describe('audit log', () => {
  it('records every submit with tenant, key id, client address, job and moderation outcome, for the admin key only', async () => {
    const allowed = await submit({ prompt: 'a blue square' });
    const blocked = await submit({ prompt: 'n a k e d portrait' });
    expect((await request(api.app).get('/v1/admin/audit').set('Authorization', acme)).status).toBe(403);
    const res = await request(api.app).get('/v1/admin/audit?tenant=acme&limit=5').set('Authorization', admin);
    expect(res.status).toBe(200);
    const [newest, previous] = res.body.data;
    expect(newest).toMatchObject({ tenant: 'acme', job_id: blocked.body.id, outcome: 'moderated', stage: 'prompt', reason: expect.stringContaining('nudity'), key_id: expect.stringMatching(/^static_/), client: expect.stringContaining('127.0.0.1'), model: 'shapes', safety_tolerance: 2 });
    expect(previous).toMatchObject({ job_id: allowed.body.id, outcome: 'allowed' });
    expect(previous.stage).toBeUndefined();
    expect(res.body.retention_seconds).toBe(2_592_000);
    const page = await request(api.app).get(`/v1/admin/audit?tenant=acme&limit=1&before=${newest.id}`).set('Authorization', admin);
    expect(page.body.data.map((e: { job_id: string }) => e.job_id)).toEqual([allowed.body.id]);
    expect((await request(api.app).get('/v1/admin/audit?before=x').set('Authorization', admin)).body.errors[0].path).toBe('before');
  });

  it('forgets entries older than the retention', async () => {
    const { AuditLog } = await import('@flowfarm/trust');
    const log = new AuditLog(api.deps.redis, `${prefix}-retention`, 400);
    const entry = { tenant: 't', key_id: 'k', client: 'c', model: 'm', outcome: 'allowed' as const };
    await log.record({ ...entry, job_id: 'old' });
    await new Promise((resolve) => setTimeout(resolve, 500)); // the retention itself is what is tested
    await log.record({ ...entry, job_id: 'new' });
    expect((await log.list()).map((e) => e.job_id)).toEqual(['new']);
    await api.deps.redis.del(`${prefix}-retention:audit`);
  });

  it('applies a policy changed through another API replica within a second', async () => {
    const other = buildApi(loadConfig({ REDIS_PREFIX: prefix, DATA_DIR: dataDir, API_KEYS: 'key-acme:acme,key-globex:globex', ADMIN_API_KEY: 'admin-secret', LOG_LEVEL: 'silent' }), { logger: pino({ level: 'silent' }) });
    try {
      const prompt = { prompt: 'a quokka on grass' };
      expect((await submit(prompt, 'Bearer key-globex')).body.status).toBe('queued'); // this replica has read globex's policy
      const put = await request(other.app).put('/v1/admin/moderation/tenants/globex').set('Authorization', admin).send({ terms: [{ term: 'quokka', category: 'mascots' }] });
      expect(put.status).toBe(200);
      expect((await request(other.app).post('/v1/jobs').set('Authorization', 'Bearer key-globex').send(prompt)).body.status).toBe('moderated'); // at once where it was changed
      // here after its cached read expires (1 s); the poll's limit leaves room for a busy machine
      await expect.poll(async () => (await submit(prompt, 'Bearer key-globex')).body.status, { timeout: 5000, interval: 100 }).toBe('moderated');
    } finally {
      await request(api.app).delete('/v1/admin/moderation/tenants/globex').set('Authorization', admin);
      await other.close();
    }
  });
});
