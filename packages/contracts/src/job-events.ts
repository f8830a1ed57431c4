import { z } from 'zod';

/** Events a job goes through; the same names are used in SSE `event:` lines and webhooks. */
export const JobEventType = z
  .enum(['job.queued', 'job.started', 'job.progress', 'job.succeeded', 'job.failed', 'job.canceled', 'job.moderated', 'job.expired'])
  ;
export type JobEventType = z.infer<typeof JobEventType>;

/** Events after which a job never changes again. */
export const TERMINAL_EVENT_TYPES: readonly JobEventType[] = ['job.succeeded', 'job.failed', 'job.canceled', 'job.moderated', 'job.expired'];

/**
 * `moderated`: stopped by the farm's moderation (prompt or output); never rendered or never stored.
 * `expired`: not started before its deadline (`start_timeout` or the `Cancel-After` header); never rendered.
 */
export const JobStatus = z.enum(['queued', 'running', 'succeeded', 'failed', 'canceled', 'moderated', 'expired']);
export type JobStatus = z.infer<typeof JobStatus>;

export const TERMINAL_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'canceled', 'moderated', 'expired'];
export const isTerminalStatus = (status: JobStatus): boolean => TERMINAL_STATUSES.includes(status);

/** The status a job has after an event of this type. */
export function statusAfter(type: JobEventType): JobStatus {
  switch (type) {
    case 'job.queued':
      return 'queued';
    case 'job.started':
    case 'job.progress':
      return 'running';
    case 'job.succeeded':
      return 'succeeded';
    case 'job.failed':
      return 'failed';
    case 'job.canceled':
      return 'canceled';
    case 'job.moderated':
      return 'moderated';
    case 'job.expired':
      return 'expired';
  }
}

export const JobProgress = z
  .object({ step: z.number().int().min(0), total: z.number().int().min(0) })
  ;
export type JobProgress = z.infer<typeof JobProgress>;

/** Why a job ended `moderated`: at submit (`prompt`) or after decoding (`output`). */
export const JobModeration = z
  .object({
    stage: z.enum(['prompt', 'output']),
    reason: z.string().describe('the category that matched, never the matched text'),
  })
  ;
export type JobModeration = z.infer<typeof JobModeration>;

export const JobErrorInfo = z
  .object({ code: z.string(), message: z.string() })
  ;
export type JobErrorInfo = z.infer<typeof JobErrorInfo>;

/**
 * One entry of a job's event stream, as stored in Redis and sent as the `data:` of an SSE
 * message (`id:` is the stream entry id, `event:` the type). Terminal events carry the
 * finished job (`job`) so a client needs no extra request.
 */
export const JobStreamEvent = z
  .object({
    type: JobEventType,
    job_id: z.string(),
    status: JobStatus,
    at: z.iso.datetime().describe('when the event happened'),
    progress: JobProgress.optional(),
    error: JobErrorInfo.optional(),
    moderation: JobModeration.optional(),
    attempt: z.number().int().optional().describe('worker attempt (1 = first run)'),
    stage: z.number().int().optional().describe('prompt chaining: the stage the job is queued for (job.queued between stages)'),
  })
  ;
export type JobStreamEvent = z.infer<typeof JobStreamEvent>;
