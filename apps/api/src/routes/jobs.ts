import { Router } from 'express';
import { BadRequestError, ConflictError, JobInput, JobListQuery, ValidationError, fieldErrorsFromZod, isTerminalStatus, type JobView } from '@flowfarm/contracts';
import type { ListPosition } from '@flowfarm/queue';
import { requireTenant } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { countFinishedInApi } from '../job-metrics.js';
import { submitJob } from '../job-submission.js';
import { cancelAfterSeconds } from '../fair-submit.js';
import { auditSubmit } from '../audit-submit.js';
import { assertSubmittedWebhookAllowed } from './webhooks.js';
import { jobViewFor, loadOwnJob } from '../job-views.js';
import { preferWaitSeconds, waitForJob } from '../wait-for-job.js';

/** Opaque list cursor: the created time and id of the last job of the previous page. */
function encodeListCursor(position: ListPosition): string {
  return Buffer.from(`${position.createdMs}.${position.id}`).toString('base64url');
}

function decodeListCursor(cursor: string): ListPosition {
  const match = /^(\d{1,15})\.([\w-]{1,128})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!match) throw new BadRequestError('invalid cursor: pass next_cursor from the previous page unchanged', { errors: [{ path: 'cursor', message: 'invalid cursor' }] });
  return { createdMs: Number(match[1]), id: match[2] };
}

async function notify(deps: ApiDeps, type: 'job.queued' | 'job.canceled' | 'job.moderated', tenant: string, job: JobView): Promise<void> {
  try {
    await deps.notifier.notify({ type, tenant, job });
  } catch (err) {
    deps.logger.error({ err, jobId: job.id, type }, 'notifier failed');
  }
}

/** POST/GET /v1/jobs, GET /v1/jobs/:id, POST /v1/jobs/:id/cancel. */
export function jobsRouter(deps: ApiDeps): Router {
  const router = Router();

  router.post('/jobs', async (req, res) => {
    const tenant = requireTenant(req);
    const parsed = JobInput.safeParse(req.body);
    if (!parsed.success) throw new ValidationError(fieldErrorsFromZod(parsed.error));
    await assertSubmittedWebhookAllowed(deps, parsed.data);
    const idempotencyKey = req.get('idempotency-key');
    if (idempotencyKey !== undefined && (idempotencyKey.length === 0 || idempotencyKey.length > 255)) {
      throw new ValidationError([{ path: 'Idempotency-Key', message: 'must be 1-255 characters' }]);
    }
    const who = { keyId: req.apiKeyId, keyMaxPriority: req.apiKeyMaxPriority ?? null, cancelAfterSeconds: cancelAfterSeconds(req.get('cancel-after')) };
    const { record, created } = await submitJob(deps, tenant, req.body, parsed.data, idempotencyKey, who);
    let view = await jobViewFor(deps, req, record);
    if (created) await auditSubmit(deps, req, record);
    // A job stopped by prompt moderation is already finished: its one notice is the terminal one.
    if (created) await notify(deps, record.status === 'moderated' ? 'job.moderated' : 'job.queued', tenant, view);
    if (!created) res.set('Idempotent-Replayed', 'true');
    res.set('Location', view.urls.self);

    const wait = preferWaitSeconds(req.get('prefer'), deps.config.MAX_WAIT_SECONDS);
    if (wait !== null && !isTerminalStatus(record.status)) {
      const closed = new AbortController();
      res.on('close', () => closed.abort());
      const latest = await waitForJob(deps, record.id, wait * 1000, closed.signal);
      if (latest) view = await jobViewFor(deps, req, latest);
      res.set('Preference-Applied', `wait=${wait}`);
    }
    res.status(isTerminalStatus(view.status) && wait !== null ? 200 : 202).json(view);
  });

  router.get('/jobs', async (req, res) => {
    const tenant = requireTenant(req);
    const parsed = JobListQuery.safeParse(req.query);
    if (!parsed.success) throw new ValidationError(fieldErrorsFromZod(parsed.error));
    const { status, limit } = parsed.data;
    let position = parsed.data.cursor ? decodeListCursor(parsed.data.cursor) : null;
    const data: JobView[] = [];
    let exhausted = false;
    // Filtering by status reads ahead in pages; the cursor is the last job looked at.
    while (data.length < limit && !exhausted) {
      const page = await deps.store.listAfter(tenant, position, status ? limit * 2 : limit - data.length);
      exhausted = page.length === 0;
      for (const entry of page) {
        position = entry;
        const record = await deps.store.get(entry.id);
        if (record && (!status || record.status === status)) data.push(await jobViewFor(deps, req, record));
        if (data.length === limit) break;
      }
    }
    const more = !exhausted && position !== null && (await deps.store.listAfter(tenant, position, 1)).length > 0;
    res.json({ data, next_cursor: more && position ? encodeListCursor(position) : null });
  });

  router.get('/jobs/:id', async (req, res) => {
    const record = await loadOwnJob(deps, req, req.params.id);
    res.json(await jobViewFor(deps, req, record));
  });

  router.post('/jobs/:id/cancel', async (req, res) => {
    const record = await loadOwnJob(deps, req, req.params.id);
    const outcome = await deps.store.requestCancel(record);
    if (outcome === 'missing') return void res.status(404).end();
    if (outcome !== 'canceled_now' && outcome !== 'requested') {
      throw new ConflictError('job_finished', `job ${record.id} already ${outcome}`, { extra: { status: outcome } });
    }
    if (outcome === 'canceled_now') await deps.queues.removeWaiting(record.model, record.id);
    const latest = (await deps.store.get(record.id)) ?? record;
    const view = await jobViewFor(deps, req, latest);
    if (outcome === 'canceled_now') countFinishedInApi(latest, 'canceled');
    if (outcome === 'canceled_now') await notify(deps, 'job.canceled', record.tenant, view);
    res.status(202).json(view);
  });

  return router;
}
