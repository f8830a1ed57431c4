// The shapes this package needs from a job. Until @flowfarm/contracts exports them these are
// local structural copies of `JobEventType` and the parts of `JobView` read here; the full
// view is passed through untouched as the payload's `data`.

export type JobEventType = 'job.queued' | 'job.started' | 'job.progress' | 'job.succeeded' | 'job.failed' | 'job.canceled';

export const JOB_EVENT_TYPES: readonly JobEventType[] = [
  'job.queued',
  'job.started',
  'job.progress',
  'job.succeeded',
  'job.failed',
  'job.canceled',
];

/** Events sent when a webhook names none: the three after which a job never changes. */
export const DEFAULT_WEBHOOK_EVENTS: readonly JobEventType[] = ['job.succeeded', 'job.failed', 'job.canceled'];

export interface WebhookSpec {
  url: string;
  events?: JobEventType[];
}

/** The fields of `GET /v1/jobs/:id` this package reads. */
export interface JobViewLike {
  id: string;
  progress: { step: number; total: number };
  input: { webhook?: WebhookSpec };
}

export interface JobNotification<J extends JobViewLike = JobViewLike> {
  type: JobEventType;
  tenant: string;
  job: J;
}

/** What the api and the worker call at each job transition. */
export interface JobNotifier<J extends JobViewLike = JobViewLike> {
  notify(event: JobNotification<J>): Promise<void>;
}
