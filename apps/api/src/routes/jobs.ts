import { Router } from 'express';
import { BadRequestError, ConflictError, JOB_ROUTES, ValidationError, isTerminalStatus, type JobView } from '@flowfarm/contracts';
import type { JobRecord, ListPosition } from '@flowfarm/queue';
import { requireTenant } from '../auth.js';
import { apiBaseUrl, type ApiDeps } from '../deps.js';
import { submitJob } from '../job-submission.js';
import { cancelAfterSeconds } from '../fair-submit.js';
import { assertSubmittedWebhookAllowed } from './webhooks.js';
import { jobViewFor, jobViewsFor, loadOwnJob, viewsFor } from '../job-views.js';
import { preferWaitSeconds, waitForJob } from '../wait-for-job.js';
import { serveRoute } from '../serve-route.js';

/** Opaque list cursor: the created time and id of the last job of the previous page. */
function encodeListCursor(position: ListPosition): string {
  return Buffer.from(`${position.createdMs}.${position.id}`).toString('base64url');
}

function decodeListCursor(cursor: string): ListPosition {
  const match = /^(\d{1,15})\.([\w-]{1,128})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!match) throw new BadRequestError('invalid cursor: pass next_cursor from the previous page unchanged', { errors: [{ path: 'cursor', message: 'invalid cursor' }] });
  return { createdMs: Number(match[1]), id: match[2] };
}

/** POST/GET /v1/jobs, GET /v1/jobs/:id, POST /v1/jobs/:id/cancel. Declared in contracts' routes/jobs.ts. */
export function jobsRouter(deps: ApiDeps): Router {
  const router = Router();

  serveRoute(router, '/v1', JOB_ROUTES.submit, async (req, res, { body: input }) => {
    const tenant = requireTenant(req);
    await assertSubmittedWebhookAllowed(deps, input);
    const idempotencyKey = req.get('idempotency-key');
    if (idempotencyKey !== undefined && (idempotencyKey.length === 0 || idempotencyKey.length > 255)) {
      throw new ValidationError([{ path: 'Idempotency-Key', message: 'must be 1-255 characters' }]);
    }
    const who = { keyId: req.apiKeyId, keyMaxPriority: req.apiKeyMaxPriority ?? null, cancelAfterSeconds: cancelAfterSeconds(req.get('cancel-after')), client: req.ip ?? 'unknown' };
    const { record, created, queuePosition } = await submitJob(deps, tenant, req.body, input, idempotencyKey, who, viewsFor(deps, req));
    if (!created) res.set('Idempotent-Replayed', 'true');
    res.set('Location', `${apiBaseUrl(deps, req)}/v1/jobs/${record.id}`);

    const wait = preferWaitSeconds(req.get('prefer'), deps.config.MAX_WAIT_SECONDS);
    let latest = record;
    if (wait !== null && !isTerminalStatus(record.status)) {
      const closed = new AbortController();
      res.on('close', () => closed.abort());
      latest = (await waitForJob(deps, record.id, wait * 1000, closed.signal)) ?? record;
      res.set('Preference-Applied', `wait=${wait}`);
    }
    // the job as it is now (the submit script's queue position while it is the submitted record)
    const view = await jobViewFor(deps, req, latest, latest === record ? queuePosition : undefined);
    res.status(isTerminalStatus(view.status) && wait !== null ? 200 : 202).json(view);
  });

  serveRoute(router, '/v1', JOB_ROUTES.list, async (req, res, { query }) => {
    const tenant = requireTenant(req);
    const { status, limit } = query;
    let position = query.cursor ? decodeListCursor(query.cursor) : null;
    const data: JobView[] = [];
    let exhausted = false;
    // Filtering by status reads ahead in pages; the cursor is the last job looked at.
    while (data.length < limit && !exhausted) {
      const page = await deps.store.listAfter(tenant, position, status ? limit * 2 : limit - data.length);
      exhausted = page.length === 0;
      // the page's records in one round trip
      const records = new Map((await deps.store.getMany(page.map((entry) => entry.id))).map((r) => [r.id, r]));
      const wanted: JobRecord[] = [];
      for (const entry of page) {
        position = entry;
        const record = records.get(entry.id);
        if (record && (!status || record.status === status)) wanted.push(record);
        if (data.length + wanted.length === limit) break;
      }
      data.push(...(await jobViewsFor(deps, req, wanted)));
    }
    const more = !exhausted && position !== null && (await deps.store.listAfter(tenant, position, 1)).length > 0;
    res.json({ data, next_cursor: more && position ? encodeListCursor(position) : null });
  });

  serveRoute(router, '/v1', JOB_ROUTES.get, async (req, res, { params }) => {
    const record = await loadOwnJob(deps, req, params.id);
    res.json(await jobViewFor(deps, req, record));
  });

  serveRoute(router, '/v1', JOB_ROUTES.cancel, async (req, res, { params }) => {
    const record = await loadOwnJob(deps, req, params.id);
    const outcome = await deps.lifecycle.cancel(record, viewsFor(deps, req));
    if (outcome.kind === 'missing') return void res.status(404).end();
    if (outcome.kind === 'finished') {
      throw new ConflictError('job_finished', `job ${record.id} already ${outcome.status}`, { extra: { status: outcome.status } });
    }
    res.status(202).json(await jobViewFor(deps, req, outcome.record));
  });

  return router;
}
