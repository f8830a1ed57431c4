// Operator routes behind ADMIN_API_KEY, for the /ops page and `flowfarm queues`: queue depth
// and oldest wait per model, jobs of every tenant by state, retry of a failed job and cancel
// of any job. createApp mounts them at /v1/admin, behind authentication and the rate limit.

import { Router } from 'express';
import { ADMIN_JOB_ROUTES, ConflictError, NotFoundError, type AdminJobSummary, type QueueStats } from '@flowfarm/contracts';
import { readBullmqQueue } from '@flowfarm/metrics';
import type { JobRecord } from '@flowfarm/queue';
import { requireAdmin } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { serveRoute } from '../serve-route.js';
import { submitJob } from '../job-submission.js';
import { viewsFor } from '../job-views.js';

const JOB_ID = /^[A-Za-z0-9_-]{1,64}$/;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function summarize(record: JobRecord): AdminJobSummary {
  return {
    id: record.id,
    model: record.model,
    tenant: record.tenant,
    status: record.status,
    prompt: record.input.prompt,
    attempts: record.attempt,
    error: record.error,
    created_at: new Date(record.createdAt).toISOString(),
    started_at: iso(record.startedAt),
    finished_at: iso(record.finishedAt),
  };
}

/** Models with a queue worth showing: every model ever announced plus those served now. */
async function modelNames(deps: ApiDeps): Promise<string[]> {
  const [known, live] = await Promise.all([deps.workers.knownModels(), deps.workers.liveModels()]);
  return [...new Set([...known.keys(), ...live.map((model) => model.name)])].sort();
}

async function loadJob(deps: ApiDeps, id: string): Promise<JobRecord> {
  const record = JOB_ID.test(id) ? await deps.store.get(id) : null;
  if (!record) throw new NotFoundError(`no job ${id}`);
  return record;
}

export function createOpsRouter(deps: ApiDeps): Router {
  const router = Router();
  // every path under /v1/admin that reaches this router needs the admin key (403 before 404);
  // the routes are declared in contracts' routes/ops.ts
  router.use(requireAdmin);

  serveRoute(router, '/v1/admin', ADMIN_JOB_ROUTES.queues, async (_req, res) => {
    const live = new Map((await deps.workers.liveModels()).map((model) => [model.name, model.workers]));
    const now = Date.now();
    const data: QueueStats[] = await Promise.all(
      (await modelNames(deps)).map(async (model) => {
        // counts from BullMQ's tokens; the oldest wait and the failed jobs from the job records
        // (tokens go as soon as a run ends: BullMQ keeps no failed jobs)
        const [{ counts }, { oldestWaitingAt, failed }] = await Promise.all([
          readBullmqQueue(deps.queues.queue(model)),
          deps.queues.stats(model, deps.config.JOB_RETENTION_SECONDS * 1000, now),
        ]);
        return {
          model,
          waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
          active: counts.active ?? 0,
          delayed: counts.delayed ?? 0,
          failed,
          oldest_wait_seconds: oldestWaitingAt === null ? null : Math.max(0, (now - oldestWaitingAt) / 1000),
          workers: live.get(model) ?? 0,
        };
      }),
    );
    res.json({ data });
  });

  serveRoute(router, '/v1/admin', ADMIN_JOB_ROUTES.jobs, async (_req, res, { query: { state, limit } }) => {
    // Failed jobs: the recent-failures list the terminal transition writes. Waiting and active:
    // the ids of the queues' tokens; what is shown always comes from the job records.
    const ids = new Set<string>(state === 'failed' ? await deps.store.recentFailures(limit) : []);
    if (state !== 'failed') {
      const bullStates = state === 'waiting' ? (['waiting', 'prioritized', 'delayed'] as const) : (['active'] as const);
      for (const model of await modelNames(deps)) {
        const jobs = await deps.queues.queue(model).getJobs([...bullStates], 0, limit - 1, false);
        for (const job of jobs) if (job?.id) ids.add(job.id);
      }
    }
    const records = await deps.store.getMany([...ids]);
    const wanted = records.filter((record) => (state === 'failed' ? record.status === 'failed' : state === 'active' ? record.status === 'running' : record.status === 'queued'));
    const time = (r: JobRecord) => r.finishedAt ?? r.startedAt ?? r.createdAt;
    wanted.sort((a, b) => time(b) - time(a));
    res.json({ data: wanted.slice(0, limit).map(summarize) });
  });

  // Retry runs the job again as a new job of the same tenant with the same input (seed
  // included), so the failed job's history and its one terminal webhook stay as they were.
  serveRoute(router, '/v1/admin', ADMIN_JOB_ROUTES.retry, async (req, res, { params }) => {
    const record = await loadJob(deps, params.id);
    if (record.status !== 'failed' && record.status !== 'canceled') {
      throw new ConflictError('job_not_failed', `job ${record.id} is ${record.status}; only failed or canceled jobs can be retried`);
    }
    const who = { asOperator: true, ...(record.keyId ? { keyId: record.keyId } : {}) };
    const { record: retried } = await submitJob(deps, record.tenant, record.input, record.input, undefined, who, viewsFor(deps, req));
    res.status(202).json({ ...summarize(retried), retry_of: record.id });
  });

  serveRoute(router, '/v1/admin', ADMIN_JOB_ROUTES.cancel, async (req, res, { params }) => {
    const record = await loadJob(deps, params.id);
    const outcome = await deps.lifecycle.cancel(record, viewsFor(deps, req));
    if (outcome.kind === 'missing') throw new NotFoundError(`no job ${record.id}`);
    if (outcome.kind === 'finished') {
      throw new ConflictError('job_finished', `job ${record.id} already ${outcome.status}`, { extra: { status: outcome.status } });
    }
    res.status(202).json(summarize(outcome.record));
  });

  return router;
}
