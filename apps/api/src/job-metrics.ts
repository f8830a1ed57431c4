// Job counters the API owns: submits, and jobs that end without ever reaching a worker
// (canceled while queued, or never queued). Everything a worker finishes is counted there.
import { jobE2e, jobsExpired, jobsFinished, jobsSubmitted } from '@flowfarm/metrics';
import type { JobRecord } from '@flowfarm/queue';

export function countSubmitted(record: JobRecord): void {
  jobsSubmitted.inc({ model: record.model });
}

/** A job that reached a terminal status in the API (no worker will report it). */
export function countFinishedInApi(record: JobRecord, status: 'canceled' | 'failed' | 'moderated' | 'expired'): void {
  jobsFinished.inc({ model: record.model, status });
  if (status === 'expired') jobsExpired.inc({ model: record.model });
  jobE2e.observe({ model: record.model }, Math.max(0, (record.finishedAt ?? Date.now()) - record.createdAt) / 1000);
}
