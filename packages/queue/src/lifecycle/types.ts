import type { JobNotifier, JobStatus, JobView, QuotaBreach } from '@flowfarm/contracts';
import type { JobRecord } from '../job-record.js';
import type { FaultPoint } from './faults.js';

export type SubmitOutcome =
  | { kind: 'created'; record: JobRecord; queuePosition: number | null }
  | { kind: 'existing'; record: JobRecord }
  | { kind: 'conflict'; jobId: string }
  | { kind: 'gone'; jobId: string }
  | { kind: 'full'; active: number }
  | { kind: 'quota'; breach: QuotaBreach };

export type TransitionOutcome =
  | { kind: 'ok'; eventId: string; cancelRequested: boolean }
  | { kind: 'refused'; status: JobStatus | 'missing'; cancelRequested: boolean }
  | { kind: 'missing' };

export type StartOutcome =
  | { kind: 'ok'; record: JobRecord; cancelRequested: boolean }
  | { kind: 'terminal'; record: JobRecord }
  | { kind: 'missing' };

/** A claim: the worker holds the job (still queued) until its batch begins. */
export type ClaimOutcome = StartOutcome;

export type BeginOutcome =
  | { kind: 'ok'; record: JobRecord; cancelRequested: boolean }
  | { kind: 'refused'; status: JobStatus | 'missing'; cancelRequested: boolean };

export type CancelOutcome = { kind: 'canceled_now' | 'requested'; record: JobRecord } | { kind: 'missing' } | { kind: 'finished'; status: JobStatus };

/** Lifecycle counters and timings; one implementation (Prometheus) in @flowfarm/metrics. */
export interface LifecycleObserver {
  submitted(record: JobRecord): void;
  /** A run started; `queueWaitMs` on the first run only. */
  started(record: JobRecord, queueWaitMs: number | null): void;
  finished(record: JobRecord, status: JobStatus): void;
}

/**
 * The priority a job's dispatch token gets in its model queue (BullMQ: lower runs first, 1 to
 * 2^21) when its record has none: one constant for every job, so the queue is first in, first
 * out. With fair share (`LifecycleOptions.fair`) the submit script gives each job its slot.
 */
export function dispatchPriority(_record: JobRecord): number {
  return 1;
}

/** A quota release or usage metering a terminal transition does in the same step (fair-scripts.ts). */
export type Effect = { keys: [string, string]; json: string };

export interface LifecycleOptions {
  /** How long finished jobs (records, events, files) are kept. */
  retentionMs: number;
  /** Builds the job's public view for a notification (called only when an endpoint wants the event). */
  view?: (record: JobRecord) => Promise<JobView>;
  notifier?: JobNotifier;
  observer?: LifecycleObserver;
  /** Test-only crash point (FLOWFARM_FAULT). */
  fault?: FaultPoint;
  /** Failed jobs kept in the recent-failures list. */
  failuresCap?: number;
  /**
   * Fair share: what the submit script needs to give the job its slot (fair-share.ts): its class
   * rank, its cost in megapixel-steps and its model's default job cost. Without it every job gets
   * `dispatchPriority` (first in, first out).
   */
  fair?: (record: JobRecord) => Promise<{ rank: number; cost: number; defaultJobCost: number }>;
  /** How long daily usage figures are kept (default 400 days). */
  usageRetentionDays?: number;
  onError?: (err: unknown, context: string) => void;
}

/** A key set with a job's success that points at its outputs (e.g. a watermark's job). */
export interface OutputIndex {
  key: string;
  value: string;
  ttlSec: number;
}

/** Per-call override of how the view of a notification is built (the API links to the request's origin). */
export type ViewOf = (record: JobRecord) => Promise<JobView>;

/** `workerId` of a transition any holder may make (not a worker's own run). */
export const WORKER_ANY = '';

/** A job's member in the retention schedule. */
export function retentionMember(record: JobRecord): string {
  return `${record.tenant}/${record.id}`;
}
