import { randomBytes } from 'node:crypto';
import { Router, type Request } from 'express';
import { ConflictError, DATASET_ROUTES, NotFoundError, QuotaExceededError, ValidationError, type DatasetView } from '@flowfarm/contracts';
import { DatasetStore, buildDatasetView, datasetImageKey, type DatasetRecord, type FilledDatasetSpec } from '@flowfarm/queue';
import { requireTenant } from '../auth.js';
import { apiBaseUrl, type ApiDeps } from '../deps.js';
import { defaultJobCostOf, resolveAgainstModel, servedModels } from '../job-submission.js';
import { assertSubmittedWebhookAllowed } from './webhooks.js';
import { serveRoute } from '../serve-route.js';

const newDatasetId = (): string => `ds_${randomBytes(12).toString('base64url')}`;

/**
 * POST/GET /v1/datasets, GET /v1/datasets/:id, POST /v1/datasets/:id/cancel. A create reserves
 * the whole set against the tenant's quotas (429 when it does not fit), stores the spec and
 * queues the first few chunks in the model's render queue with fair-share priorities; items
 * are made from the spec when rendered, so accepting 100,000 items costs the same as accepting 10.
 * Declared in contracts' routes/datasets.ts.
 */
export function datasetsRouter(deps: ApiDeps): Router {
  const router = Router();
  const datasets = new DatasetStore(deps.redis, deps.keys, { retentionMs: deps.config.JOB_RETENTION_SECONDS * 1000 });

  async function view(req: Request, record: DatasetRecord): Promise<DatasetView> {
    const base = apiBaseUrl(deps, req);
    const link = async (key: string) => {
      const url = await deps.storage.url(key);
      return url.startsWith('/') ? `${base}${url}` : url;
    };
    return buildDatasetView(record, await datasets.counts(record.id, record.spec.count), base, link);
  }

  async function loadOwn(req: Request, id: string): Promise<DatasetRecord> {
    const tenant = requireTenant(req);
    const record = /^[A-Za-z0-9_-]{1,64}$/.test(id) ? await datasets.get(id) : null;
    if (!record || record.tenant !== tenant) throw new NotFoundError(`no dataset ${id}`);
    return record;
  }

  serveRoute(router, '/v1', DATASET_ROUTES.create, async (req, res, { body: spec }) => {
    const tenant = requireTenant(req);
    // the same SSRF guard as a job's webhook (private and metadata addresses refused)
    await assertSubmittedWebhookAllowed(deps, { prompt: 'dataset', ...(spec.webhook ? { webhook: spec.webhook } : {}) });
    // The model's limits and defaults, checked as for a job (same field names, same errors).
    const { input } = await resolveAgainstModel(deps, {
      prompt: 'dataset', model: spec.model, width: spec.width, height: spec.height, steps: spec.steps, guidance: spec.guidance,
    });
    const filled: FilledDatasetSpec = {
      ...spec,
      model: input.model!, width: input.width!, height: input.height!, steps: input.steps!,
      ...(input.guidance === undefined ? {} : { guidance: input.guidance }),
      seed: spec.seed ?? randomBytes(4).readUInt32LE(0),
    };
    const limits = (await servedModels(deps)).known.get(filled.model);
    const record: DatasetRecord = {
      id: newDatasetId(), tenant, spec: filled, status: 'queued', createdAt: Date.now(), startedAt: null, finishedAt: null, error: null,
      keyId: req.apiKeyId ?? null, defaultJobCost: limits ? defaultJobCostOf(limits) : 1,
    };
    const outcome = await datasets.create(record);
    if (outcome.kind === 'quota') throw new QuotaExceededError(outcome.breach, Date.now(), `this dataset of ${filled.count} items`);
    const body = await view(req, record);
    res.set('Location', body.urls.self).status(202).json(body);
  });

  serveRoute(router, '/v1', DATASET_ROUTES.list, async (req, res, { query }) => {
    const records = await datasets.list(requireTenant(req), query.limit);
    res.json({ data: await Promise.all(records.map((r) => view(req, r))) });
  });

  serveRoute(router, '/v1', DATASET_ROUTES.get, async (req, res, { params }) => {
    res.json(await view(req, await loadOwn(req, params.id)));
  });

  // The streaming manifest: one line per item recorded so far, in the order items finished,
  // readable while the dataset runs; `from=n` skips the n lines a reader already has.
  serveRoute(router, '/v1', DATASET_ROUTES.manifest, async (req, res, { params, query: { from } }) => {
    const record = await loadOwn(req, params.id);
    res.status(200).set({ 'Content-Type': 'application/x-ndjson', 'Cache-Control': 'no-store', 'Dataset-Status': record.status });
    for await (const line of datasets.recordedLines(record.id, from)) {
      if (!res.write(`${line}\n`)) await new Promise((resolve) => res.once('drain', resolve));
    }
    res.end();
  });

  // One image of the set: a redirect to its signed URL (how the CLI downloads a set).
  serveRoute(router, '/v1', DATASET_ROUTES.image, async (req, res, { params: { id, index } }) => {
    const record = await loadOwn(req, id);
    if (index >= record.spec.count) {
      throw new ValidationError([{ path: 'index', message: `must be an integer from 0 to ${record.spec.count - 1}` }]);
    }
    if (!(await datasets.isDone(record.id, index))) throw new NotFoundError(`item ${index} of ${record.id} is not rendered yet`);
    const url = await deps.storage.url(datasetImageKey(record.tenant, record.id, index));
    res.redirect(302, url.startsWith('/') ? `${apiBaseUrl(deps, req)}${url}` : url);
  });

  // Canceled: no more chunks start, unrendered items give their quota back, and a worker sends
  // the one dataset.canceled webhook (the finalize job, which finds the dataset canceled).
  serveRoute(router, '/v1', DATASET_ROUTES.cancel, async (req, res, { params }) => {
    const record = await loadOwn(req, params.id);
    if (!(await datasets.finish(record, 'canceled'))) {
      throw new ConflictError('dataset_finished', `dataset ${record.id} has already finished (${record.status})`);
    }
    await datasets.queueFinalize(record);
    res.status(202).json(await view(req, (await datasets.get(record.id))!));
  });

  return router;
}
