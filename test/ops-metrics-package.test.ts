// @flowfarm/metrics on its own: route-template labels from a real Express app, the /metrics
// endpoint, and the queue collector's rate-limited reads (a fake clock, no sleeping).
import { afterEach, describe, expect, it, vi } from 'vitest';
import express, { type NextFunction, type Request, type Response } from 'express';
import request from 'supertest';
import {
  createQueueCollector,
  httpMetricsMiddleware,
  metricsHandler,
  registry,
  type QueueCollector,
  type QueueSnapshot,
} from '@flowfarm/metrics';
import { sampleValue } from './ops-prom-text.js';

function buildApp() {
  const app = express();
  app.use(httpMetricsMiddleware());
  app.get('/metrics', metricsHandler);
  const jobs = express.Router();
  jobs.get('/:id', (req, res) => {
    res.json({ id: req.params.id });
  });
  jobs.post('/:id/cancel', (_req, _res, next) => {
    next(new Error('boom'));
  });
  app.use('/v1/jobs', jobs);
  app.get('/healthz', (_req, res) => {
    res.send('ok');
  });
  app.use((_req: Request, res: Response) => {
    res.status(404).send('not found');
  });
  app.use((_err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    res.status(500).send('error');
  });
  return app;
}

async function scrape(app: express.Express): Promise<string> {
  const res = await request(app).get('/metrics');
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toContain('text/plain');
  return res.text;
}

describe('httpMetricsMiddleware', () => {
  it('labels requests by route template, including errors from sub-routers and unmatched paths', async () => {
    registry.resetMetrics();
    const app = buildApp();
    await request(app).get('/v1/jobs/job_abc123').expect(200);
    await request(app).get('/v1/jobs/job_def456').expect(200);
    await request(app).post('/v1/jobs/job_abc123/cancel').expect(500);
    await request(app).get('/healthz').expect(200);
    await request(app).get('/wp-admin/setup.php').expect(404);

    const text = await scrape(app);
    const count = (labels: Record<string, string>) =>
      sampleValue(text, 'flowfarm_http_request_duration_seconds_count', labels);
    expect(count({ method: 'GET', route: '/v1/jobs/:id', status: '200' })).toBe(2);
    expect(count({ method: 'POST', route: '/v1/jobs/:id/cancel', status: '500' })).toBe(1);
    expect(count({ method: 'GET', route: '/healthz', status: '200' })).toBe(1);
    expect(count({ method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    // No raw path with an id ever becomes a label value.
    expect(text).not.toMatch(/job_abc123|job_def456|wp-admin/);
  });

  it('serves the Node default metrics with the flowfarm_ prefix', async () => {
    const text = await scrape(buildApp());
    expect(text).toMatch(/^flowfarm_process_cpu_seconds_total /m);
    expect(text).toMatch(/^flowfarm_nodejs_eventloop_lag_seconds /m);
  });
});

describe('createQueueCollector', () => {
  let collector: QueueCollector | undefined;
  afterEach(() => collector?.stop());

  it('reads at most once per interval however often it is scraped, and ages the oldest job', async () => {
    let clock = 1_000_000;
    let reads = 0;
    let waiting = 3;
    collector = createQueueCollector({
      minIntervalMs: 10_000,
      now: () => clock,
      readCounts: async (): Promise<QueueSnapshot[]> => {
        reads += 1;
        return [
          { model: 'tiny', counts: { waiting, active: 1 }, oldestWaitingAt: clock - 4_000, workers: 2 },
          { model: 'flux-schnell', counts: {}, oldestWaitingAt: null, workers: 0 },
        ];
      },
    });
    const app = buildApp();
    let text = await scrape(app);
    expect(reads).toBe(1);
    expect(sampleValue(text, 'flowfarm_queue_jobs', { model: 'tiny', state: 'waiting' })).toBe(3);
    expect(sampleValue(text, 'flowfarm_queue_jobs', { model: 'tiny', state: 'active' })).toBe(1);
    expect(sampleValue(text, 'flowfarm_queue_jobs', { model: 'tiny', state: 'delayed' })).toBe(0);
    expect(sampleValue(text, 'flowfarm_queue_oldest_waiting_seconds', { model: 'tiny' })).toBe(4);
    expect(sampleValue(text, 'flowfarm_queue_oldest_waiting_seconds', { model: 'flux-schnell' })).toBe(0);
    expect(sampleValue(text, 'flowfarm_workers', { model: 'tiny' })).toBe(2);

    // Scrapes inside the interval: no Redis read, cached counts, but the oldest job keeps aging.
    waiting = 7;
    clock += 5_000;
    await Promise.all([scrape(app), scrape(app), scrape(app)]);
    text = await scrape(app);
    expect(reads).toBe(1);
    expect(sampleValue(text, 'flowfarm_queue_jobs', { model: 'tiny', state: 'waiting' })).toBe(3);
    expect(sampleValue(text, 'flowfarm_queue_oldest_waiting_seconds', { model: 'tiny' })).toBe(9);

    clock += 5_000;
    text = await scrape(app);
    expect(reads).toBe(2);
    expect(sampleValue(text, 'flowfarm_queue_jobs', { model: 'tiny', state: 'waiting' })).toBe(7);
  });

  it('keeps the last values when a read fails and does not retry before the interval', async () => {
    let clock = 0;
    let fail = false;
    let reads = 0;
    const errors: unknown[] = [];
    collector = createQueueCollector({
      minIntervalMs: 1_000,
      now: () => clock,
      onError: (err) => errors.push(err),
      readCounts: async () => {
        reads += 1;
        if (fail) throw new Error('redis down');
        return [{ model: 'tiny', counts: { waiting: 2 }, oldestWaitingAt: null, workers: 1 }];
      },
    });
    const app = buildApp();
    await scrape(app);
    fail = true;
    clock += 1_000;
    const text = await scrape(app);
    await scrape(app);
    expect(reads).toBe(2);
    expect(errors).toHaveLength(1);
    expect(sampleValue(text, 'flowfarm_queue_jobs', { model: 'tiny', state: 'waiting' })).toBe(2);
  });

  it('clears the queue gauges when stopped', async () => {
    collector = createQueueCollector({
      readCounts: async () => [{ model: 'tiny', counts: { waiting: 1 }, oldestWaitingAt: null, workers: 1 }],
    });
    const app = buildApp();
    expect(await scrape(app)).toMatch(/^flowfarm_queue_jobs\{model="tiny"/m);
    collector.stop();
    expect(await scrape(app)).not.toMatch(/^flowfarm_queue_jobs\{/m);
  });
});

describe('httpMetricsMiddleware with streams', () => {
  it('counts a streaming request the client abandoned, under its route template', async () => {
    registry.resetMetrics();
    const app = express();
    app.use(httpMetricsMiddleware());
    app.get('/metrics', metricsHandler);
    let closed!: () => void;
    const streamClosed = new Promise<void>((resolve) => (closed = resolve));
    app.get('/v1/jobs/:id/events', (req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': hello\n\n');
      req.on('close', () => setImmediate(closed));
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as { port: number };
    const controller = new AbortController();
    const response = await fetch(`http://127.0.0.1:${port}/v1/jobs/job_1/events`, { signal: controller.signal });
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    await streamClosed;
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    server.close();
    const labels = { method: 'GET', route: '/v1/jobs/:id/events', status: '200' };
    expect(sampleValue(text, 'flowfarm_http_request_duration_seconds_count', labels)).toBe(1);
  });
});

describe('module import', () => {
  it('is idempotent: a second evaluation of the module reuses the registered metrics', async () => {
    vi.resetModules();
    const again = await import('@flowfarm/metrics');
    expect(again.registry).toBe(registry);
    again.jobsSubmitted.inc({ model: 'reimport' });
    expect(await registry.metrics()).toMatch(/^flowfarm_jobs_submitted_total\{model="reimport"\} 1$/m);
  });
});
