// The webhook routes of a real API process (SSRF guard on, as in production): default endpoint,
// secret and rotation, 422 for webhook URLs the guard refuses, tenant isolation and auth.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '@flowfarm/api';

const REDIS_URL = 'redis://127.0.0.1:6379';
const prefix = `ff-test-${randomUUID()}`;
const [keyA, keyB, admin] = [`a-${randomUUID()}`, `b-${randomUUID()}`, `admin-${randomUUID()}`];
let api: RunningApi;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'flowfarm-webhook-routes-'));
  api = await startApi({
    REDIS_URL,
    REDIS_PREFIX: prefix,
    DATA_DIR: dataDir,
    FILES_SIGNING_SECRET: 'routes-secret',
    LOG_LEVEL: 'silent',
    PORT: '0',
    HOST: '127.0.0.1',
    API_KEYS: `${keyA}:tenant-a,${keyB}:tenant-b`,
    ADMIN_API_KEY: admin,
  });
});

afterAll(async () => {
  await api?.close();
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
  await rm(dataDir, { recursive: true, force: true });
});

const as = (key: string) => ({ authorization: `Bearer ${key}` });

describe('webhook routes', () => {
  it('refuses a job whose webhook URL is private with 422 naming webhook.url', async () => {
    for (const url of ['http://10.0.0.1/hook', 'http://127.0.0.1:9/x', 'http://169.254.169.254/', 'http://[::1]/', 'http://localhost/']) {
      const res = await request(api.url).post('/v1/jobs').set(as(keyA)).send({ prompt: 'a red circle', webhook: { url } });
      expect(res.status).toBe(422);
      expect(res.type).toBe('application/problem+json');
      expect(res.body.errors[0].path).toBe('webhook.url');
    }
  });

  it('sets, shows and removes the default endpoint; private URLs are refused', async () => {
    const refused = await request(api.url).put('/v1/webhook-endpoint').set(as(keyA)).send({ url: 'http://192.168.0.10/hook' });
    expect(refused.status).toBe(422);
    expect(refused.body.errors[0].path).toBe('url');
    const bad = await request(api.url).put('/v1/webhook-endpoint').set(as(keyA)).send({ url: 'https://93.184.215.14/hook', events: ['job.nope'] });
    expect(bad.status).toBe(422);

    const put = await request(api.url).put('/v1/webhook-endpoint').set(as(keyA)).send({ url: 'https://93.184.215.14/hook' });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ url: 'https://93.184.215.14/hook', events: ['job.succeeded', 'job.failed', 'job.canceled', 'job.moderated', 'job.expired'], disabled: null });
    expect((await request(api.url).get('/v1/webhook-endpoint').set(as(keyA))).body.url).toBe('https://93.184.215.14/hook');
    expect((await request(api.url).get('/v1/webhook-endpoint').set(as(keyB))).status).toBe(404);
    expect((await request(api.url).delete('/v1/webhook-endpoint').set(as(keyA))).status).toBe(204);
    expect((await request(api.url).get('/v1/webhook-endpoint').set(as(keyA))).status).toBe(404);
  });

  it('shows a whsec_ secret per tenant and rotates it', async () => {
    const a = (await request(api.url).get('/v1/webhook-secret').set(as(keyA))).body;
    const b = (await request(api.url).get('/v1/webhook-secret').set(as(keyB))).body;
    expect(a.secret).toMatch(/^whsec_[A-Za-z0-9+/=]{40,}$/);
    expect(a.secret).not.toBe(b.secret);
    expect((await request(api.url).get('/v1/webhook-secret').set(as(keyA))).body.secret).toBe(a.secret);
    const rotated = await request(api.url).post('/v1/webhook-secret/rotate').set(as(keyA));
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(a.secret);
    expect(Date.parse(rotated.body.previous_valid_until) - Date.now()).toBeGreaterThan(23 * 3600 * 1000);
  });

  it('needs a tenant key and answers 404 for jobs it does not know', async () => {
    expect((await request(api.url).get('/v1/webhook-secret')).status).toBe(401);
    expect((await request(api.url).get('/v1/webhook-secret').set(as(admin))).status).toBe(401);
    const missing = await request(api.url).get('/v1/jobs/job_missing/deliveries').set(as(keyA));
    expect(missing.status).toBe(404);
    expect(missing.type).toBe('application/problem+json');
  });
});

describe('OpenAPI document', () => {
  it('lists the webhook routes with schemas that resolve', async () => {
    const doc = (await request(api.url).get('/openapi.json')).body;
    for (const p of ['/v1/webhook-endpoint', '/v1/webhook-secret', '/v1/webhook-secret/rotate', '/v1/jobs/{id}/deliveries', '/v1/jobs/{id}/deliveries/{delivery}/redeliver']) {
      expect(doc.paths[p]).toBeDefined();
    }
    const refs = JSON.stringify(doc).match(/#\/components\/schemas\/\w+/g) ?? [];
    for (const r of new Set(refs)) expect(doc.components.schemas[r.split('/').pop()!]).toBeDefined();
    expect(doc.components.schemas.WebhookDelivery.properties.attempts).toBeDefined();
  });
});
