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

export interface JobNotification<J extends JobViewLike = JobViewLike> {
  type: JobEventType;
  tenant: string;
  job: J;
}

/** What the api and the worker call at each job transition. */
export interface JobNotifier<J extends JobViewLike = JobViewLike> {
  notify(event: JobNotification<J>): Promise<void>;
}
