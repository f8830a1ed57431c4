import type { Request } from 'express';
import { NotFoundError, type JobView } from '@flowfarm/contracts';
import { dispatchTokenId, toJobView, type JobRecord } from '@flowfarm/queue';
import { absoluteUrl, apiBaseUrl, type ApiDeps } from './deps.js';
import { requireTenant } from './auth.js';

/** The caller's job, or 404 — also for another tenant's job, so ids of others are not confirmed. */
export async function loadOwnJob(deps: ApiDeps, req: Request, id: string): Promise<JobRecord> {
  const tenant = requireTenant(req);
  const record = /^[A-Za-z0-9_-]{1,64}$/.test(id) ? await deps.store.get(id) : null;
  if (!record || record.tenant !== tenant) throw new NotFoundError(`no job ${id}`);
  return record;
}

/** The job's view for this request; `knownPosition`: a queue position just read (by the submit script). */
export async function jobViewFor(deps: ApiDeps, req: Request, record: JobRecord, knownPosition?: number | null): Promise<JobView> {
  const base = apiBaseUrl(deps, req);
  const queuePosition = record.status !== 'queued' ? null : knownPosition !== undefined ? knownPosition : await deps.queues.queuePosition(record.model, dispatchTokenId(record.id, record.stage));
  return toJobView(record, { apiBaseUrl: base, queuePosition, outputUrl: async (key) => absoluteUrl(base, await deps.storage.url(key)) });
}

/** Views of a list page: the queued jobs' positions in one call per model, not one per job. */
export async function jobViewsFor(deps: ApiDeps, req: Request, records: JobRecord[]): Promise<JobView[]> {
  const queuedByModel = new Map<string, JobRecord[]>();
  for (const r of records) {
    if (r.status !== 'queued') continue;
    const list = queuedByModel.get(r.model) ?? [];
    list.push(r);
    queuedByModel.set(r.model, list);
  }
  const positions = new Map<string, number | null>();
  await Promise.all(
    [...queuedByModel].map(async ([model, queued]) => {
      const found = await deps.queues.queuePositions(model, queued.map((r) => dispatchTokenId(r.id, r.stage)));
      queued.forEach((r, i) => positions.set(r.id, found[i]));
    }),
  );
  return Promise.all(records.map((r) => jobViewFor(deps, req, r, r.status === 'queued' ? positions.get(r.id) : null)));
}

/** How the views of this request's notifications are built (links to the request's origin). */
export const viewsFor =
  (deps: ApiDeps, req: Request) =>
  (record: JobRecord): Promise<JobView> =>
    jobViewFor(deps, req, record);
