// What the API serves is decided by createApp alone: built with no options, it answers the
// webhook routes, the operator routes and the web UI, and the UI's files come from
// WEB_DIST_DIR (by default the @flowfarm/web package's build folder).
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webDistDir } from '@flowfarm/web/dist-dir';
import { buildApi, loadConfig, type BuiltApi } from './index.js';

const prefix = `ff-compose-${randomUUID()}`;
let dataDir: string;
let webDir: string;
let api: BuiltApi;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'ff-compose-'));
  webDir = path.join(dataDir, 'web');
  await mkdir(path.join(webDir, 'assets'), { recursive: true });
  await writeFile(path.join(webDir, 'index.html'), '<p>playground from WEB_DIST_DIR</p>');
  await writeFile(path.join(webDir, 'assets', 'app-1234.js'), 'console.log(1)');
  const config = loadConfig({ REDIS_PREFIX: prefix, DATA_DIR: dataDir, API_KEYS: 'key-acme:acme', ADMIN_API_KEY: 'admin-secret', WEB_DIST_DIR: webDir, LOG_LEVEL: 'silent' });
  api = buildApi(config, { logger: pino({ level: 'silent' }) });
});

afterAll(async () => {
  const keys = await api.deps.redis.keys(`${prefix}*`);
  if (keys.length) await api.deps.redis.del(...keys);
  await api.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('WEB_DIST_DIR', () => {
  it('defaults to the build folder @flowfarm/web names, and resolves a relative folder once, against the working directory', () => {
    const base = { REDIS_PREFIX: prefix, DATA_DIR: '/tmp/x' };
    expect(loadConfig(base).WEB_DIST_DIR).toBe(webDistDir);
    expect(webDistDir).toBe(path.resolve(import.meta.dirname, '..', '..', 'web', 'dist'));
    expect(loadConfig({ ...base, WEB_DIST_DIR: 'ui/built' }).WEB_DIST_DIR).toBe(path.resolve('ui/built'));
  });

  it('serves the UI from the configured folder, and says what is missing when a page is not built', async () => {
    const page = await request(api.app).get('/');
    expect(page.status).toBe(200);
    expect(page.text).toBe('<p>playground from WEB_DIST_DIR</p>');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    const asset = await request(api.app).get('/assets/app-1234.js');
    expect(asset.status).toBe(200);
    expect(asset.headers['cache-control']).toContain('immutable');
    const ops = await request(api.app).get('/ops');
    expect(ops.status).toBe(503);
    expect(ops.text).toContain(path.join(webDir, 'ops.html'));
  });
});

describe('routes createApp mounts without any option', () => {
  it('serves the webhook routes behind authentication', async () => {
    expect((await request(api.app).get('/v1/webhook-endpoint')).status).toBe(401);
    const none = await request(api.app).get('/v1/webhook-endpoint').set('Authorization', 'Bearer key-acme');
    expect(none.status).toBe(404);
    expect(none.headers['content-type']).toContain('application/problem+json');
  });

  it('serves the operator routes to the admin key only', async () => {
    expect((await request(api.app).get('/v1/admin/jobs')).status).toBe(401);
    expect((await request(api.app).get('/v1/admin/jobs').set('Authorization', 'Bearer key-acme')).status).toBe(403);
    const jobs = await request(api.app).get('/v1/admin/jobs?state=failed').set('Authorization', 'Bearer admin-secret');
    expect(jobs.status).toBe(200);
  });
});
