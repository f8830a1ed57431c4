import { z } from 'zod';
import { JobErrorInfo, JobStatus } from './job-events.js';

/** One model's queue as operators see it (`GET /v1/admin/queues`). */
export const QueueStats = z
  .object({
    model: z.string(),
    waiting: z.number().int().describe('jobs waiting for a worker (including prioritized)'),
    active: z.number().int().describe('jobs workers hold: running now, or claimed for the batch they start next'),
    delayed: z.number().int().describe('jobs waiting for a retry backoff'),
    failed: z.number().int().describe('failed jobs still kept (failed within the job retention time)'),
    oldest_wait_seconds: z.number().nullable().describe('age of the oldest job waiting for a worker (whatever its place in line under fair share); null when none waits'),
    workers: z.number().int().describe('live workers serving this model'),
  })
  .meta({ id: 'QueueStats' });
export type QueueStats = z.infer<typeof QueueStats>;

export const QueueStatsList = z.object({ data: z.array(QueueStats) }).meta({ id: 'QueueStatsList' });
export type QueueStatsList = z.infer<typeof QueueStatsList>;

/** States an operator can list jobs by (`GET /v1/admin/jobs?state=`). */
export const AdminJobState = z.enum(['waiting', 'active', 'failed']).meta({ id: 'AdminJobState' });
export type AdminJobState = z.infer<typeof AdminJobState>;

/** A job across tenants, as the operator view lists it. */
export const AdminJobSummary = z
  .object({
    id: z.string(),
    model: z.string(),
    tenant: z.string(),
    status: JobStatus,
    prompt: z.string(),
    attempts: z.number().int().describe('runs started so far'),
    error: JobErrorInfo.nullable(),
    created_at: z.iso.datetime(),
    started_at: z.iso.datetime().nullable(),
    finished_at: z.iso.datetime().nullable(),
    retry_of: z.string().optional().describe('on the answer to a retry: the job this one re-runs'),
  })
  .meta({ id: 'AdminJobSummary' });
export type AdminJobSummary = z.infer<typeof AdminJobSummary>;

export const AdminJobList = z.object({ data: z.array(AdminJobSummary) }).meta({ id: 'AdminJobList' });
export type AdminJobList = z.infer<typeof AdminJobList>;
