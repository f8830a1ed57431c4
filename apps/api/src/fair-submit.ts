// What fair scheduling adds to a submit: the priority check against the key's or tenant's
// highest allowed class, the deadlines from start_timeout and Cancel-After, and the fair-share
// priority the job is queued with. docs/fair-scheduling.md explains the design.
import { MIN_CANCEL_AFTER_SECONDS, MAX_START_TIMEOUT_SECONDS, ValidationError, parseCancelAfter, priorityRank, type JobInput, type JobPriority } from '@flowfarm/contracts';
import { megapixelSteps, type JobRecord } from '@flowfarm/queue';
import { defaultJobCostOf, servedModels } from './job-submission.js';
import type { ApiDeps } from './deps.js';

/** Who submits: the key's id and its own priority cap (null: the tenant's applies). */
export interface Submitter {
  keyId?: string;
  keyMaxPriority?: JobPriority | null;
  /** Seconds from the `Cancel-After` header. */
  cancelAfterSeconds?: number;
  /** Operator actions (ops retry) are not held to the tenant's priority cap. */
  asOperator?: boolean;
  /** The client's address: a submit with one is written to the audit log. */
  client?: string;
}

/**
 * The job's priority class: as asked, or normal (lowered to the cap when the cap is low). 422
 * when it asks for more than its key's cap, or its tenant's when the key has none.
 */
export async function priorityFor(deps: ApiDeps, tenant: string, input: JobInput, who: Submitter): Promise<JobPriority> {
  const asked = input.priority;
  if (asked === 'low' || (who.asOperator && asked)) return asked;
  const max = who.keyMaxPriority ?? (await deps.policies.get(tenant)).max_priority;
  if (asked === undefined) return priorityRank(max) > priorityRank('normal') ? max : 'normal';
  if (who.asOperator || priorityRank(asked) >= priorityRank(max)) return asked;
  throw new ValidationError([
    { path: 'priority', message: `priority ${asked} is above the highest this ${who.keyMaxPriority ? 'key' : 'tenant'} may use (${max})`, code: 'priority_not_allowed' },
  ]);
}

/** `Cancel-After` header → seconds; 422 when present and not a duration Replicate would take. */
export function cancelAfterSeconds(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const seconds = parseCancelAfter(header);
  if (seconds === null || seconds < MIN_CANCEL_AFTER_SECONDS || seconds > MAX_START_TIMEOUT_SECONDS) {
    throw new ValidationError([
      { path: 'Cancel-After', message: `must be a duration such as 30, 90s, 5m or 1h30m, from ${MIN_CANCEL_AFTER_SECONDS} s to ${MAX_START_TIMEOUT_SECONDS / 3600} h`, code: 'invalid_duration' },
    ]);
  }
  return seconds;
}

/** The job's start deadline (the earlier of start_timeout and Cancel-After) and its run deadline (Cancel-After). */
export function deadlinesOf(createdAt: number, input: JobInput, who: Submitter): Pick<JobRecord, 'startBy' | 'cancelAt'> {
  const starts = [input.start_timeout, who.cancelAfterSeconds].filter((s): s is number => s !== undefined);
  return {
    startBy: starts.length ? createdAt + Math.min(...starts) * 1000 : null,
    cancelAt: who.cancelAfterSeconds === undefined ? null : createdAt + who.cancelAfterSeconds * 1000,
  };
}

/** What the submit script needs for the job's fair-share slot (the lifecycle asks at submit). */
export async function fairShareOf(deps: ApiDeps, record: JobRecord): Promise<{ rank: number; cost: number; defaultJobCost: number }> {
  const limits = (await servedModels(deps)).known.get(record.model);
  return {
    rank: priorityRank(record.input.priority ?? 'normal'),
    cost: record.request ? megapixelSteps(record.request) : 0,
    defaultJobCost: limits ? defaultJobCostOf(limits) : 1,
  };
}
