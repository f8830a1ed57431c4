import { z } from 'zod';
import { JobErrorInfo, JobModeration, JobProgress, JobStatus } from './job-events.js';
import { JobInput } from './job-input.js';
import { AppliedStyle } from './styles.js';

export const JobOutput = z
  .object({
    url: z.string().describe('download URL (signed, expiring; ask for the job again for a fresh one)'),
    content_type: z.string(),
    width: z.number().int(),
    height: z.number().int(),
    seed: z.number().int(),
    bytes: z.number().int(),
    stage: z.number().int().min(0).optional().describe('prompt chaining: the index in input.stages of the stage that made this image'),
  })
  ;
export type JobOutput = z.infer<typeof JobOutput>;

export const JobUrls = z
  .object({ self: z.string(), events: z.string(), cancel: z.string() })
  ;
export type JobUrls = z.infer<typeof JobUrls>;

/** Body of `GET /v1/jobs/:id`; also the `data` of webhook payloads. */
export const JobView = z
  .object({
    id: z.string(),
    status: JobStatus,
    model: z.string(),
    input: JobInput.describe('the submitted input with the model defaults filled in'),
    progress: JobProgress,
    queue_position: z.number().int().nullable().describe('jobs ahead of this one in its model queue (null unless queued)'),
    outputs: z.array(JobOutput),
    error: JobErrorInfo.nullable(),
    moderation: JobModeration.nullable().describe('set when status is moderated'),
    metadata: z.record(z.string(), z.unknown()).nullable(),
    style: AppliedStyle.nullable().optional().describe('the style preset the job named, as applied: the preset, the prompt the model got, the fields it filled in'),
    input_image: z
      .object({ sha256: z.string(), content_type: z.string(), width: z.number().int(), height: z.number().int() })
      .nullable()
      .optional()
      .describe('the image-to-image starting image as submitted (input.image is not kept): its hash, type and size'),
    start_by: z.iso.datetime().nullable().optional().describe('deadline to start (start_timeout or Cancel-After); not started by then, the job ends expired'),
    cancel_at: z.iso.datetime().nullable().optional().describe('Cancel-After: a job still running then is canceled'),
    created_at: z.iso.datetime(),
    started_at: z.iso.datetime().nullable(),
    finished_at: z.iso.datetime().nullable(),
    timings: z
      .object({
        queue_ms: z.number().int().nullable().describe('submit to the start of the (latest) run; null until it starts'),
        render_ms: z.number().int().nullable().describe("the worker's own time for the run that succeeded: start to stored outputs"),
      })
      .optional()
      .describe('where the time went (for benchmarks: round trip minus render_ms is the farm overhead)'),
    urls: JobUrls,
  })
  ;
export type JobView = z.infer<typeof JobView>;


export const JobList = z
  .object({
    data: z.array(JobView),
    next_cursor: z.string().nullable().describe('pass as `cursor` for the next page; null on the last page'),
  })
  ;
export type JobList = z.infer<typeof JobList>;

export const JobListQuery = z.object({
  status: JobStatus.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});
export type JobListQuery = z.infer<typeof JobListQuery>;

/**
 * What the api and worker tell the outside world (webhooks) at each job transition: the job's
 * view, or (`view`) a function that builds it, called only when an endpoint wants the event, with
 * what picking the endpoint needs (the job's own webhook, its progress).
 */
export type JobNotice =
  | { type: import('./job-events.js').JobEventType; tenant: string; job: JobView }
  | {
      type: import('./job-events.js').JobEventType;
      tenant: string;
      jobId: string;
      webhook?: import('./job-input.js').WebhookSpec;
      progress: { step: number; total: number };
      view: () => Promise<JobView>;
    };

/** Injected into the api and worker; the webhooks package provides the real one. */
export interface JobNotifier {
  notify(notice: JobNotice): Promise<void>;
}

export const noopNotifier: JobNotifier = { notify: async () => {} };

/** The id of the job a notice is about. */
export const noticeJobId = (notice: JobNotice): string => ('job' in notice ? notice.job.id : notice.jobId);
