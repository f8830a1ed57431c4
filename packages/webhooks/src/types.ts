// The shapes this package needs from a job: event names come from @flowfarm/contracts; only
// the parts of `JobView` read here are required, so the api and worker pass their full view
// (it is sent untouched as the payload's `data`).

import { JobEventType, TERMINAL_EVENT_TYPES, type DatasetEventType, type WebhookSpec } from '@flowfarm/contracts';

export type { JobEventType, WebhookSpec };
/** Every event a delivery may carry: a job's, or a dataset's one terminal event. */
export type WebhookEventType = JobEventType | DatasetEventType;

export const JOB_EVENT_TYPES: readonly JobEventType[] = JobEventType.options;

/** Events sent when a webhook names none: the three after which a job never changes. */
export const DEFAULT_WEBHOOK_EVENTS: readonly JobEventType[] = TERMINAL_EVENT_TYPES;

/** The fields of `GET /v1/jobs/:id` this package reads. */
export interface JobViewLike {
  id: string;
  progress: { step: number; total: number };
  input: { webhook?: WebhookSpec };
}

/**
 * A job transition: with the job's view, or with `view`, which builds it and is called only when
 * an endpoint wants the event (most tenants have none: no signed URLs are made for them).
 */
export type JobNotification<J extends JobViewLike = JobViewLike> =
  | { type: JobEventType; tenant: string; job: J }
  | { type: JobEventType; tenant: string; jobId: string; webhook?: WebhookSpec; progress: { step: number; total: number }; view: () => Promise<J> };

/** What the api and the worker call at each job transition. */
export interface JobNotifier<J extends JobViewLike = JobViewLike> {
  notify(event: JobNotification<J>): Promise<void>;
}
