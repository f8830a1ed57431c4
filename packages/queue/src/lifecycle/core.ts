import type { Redis } from 'ioredis';
import { isTerminalStatus, noopNotifier, statusAfter, type JobEventType, type JobNotifier, type JobStatus, type JobStreamEvent } from '@flowfarm/contracts';
import type { FarmKeys } from '../keys.js';
import { USAGE_FIELDS, usageField, type JobUsage } from '../job-store.js';
import { dayPeriod, monthPeriod, pixelSteps, utcDay } from '../quota-periods.js';
import type { JobRecord } from '../job-record.js';
import { JobStore } from '../job-store.js';
import { runScript } from '../lua.js';
import type { RenderQueues } from '../render-queues.js';
import { crashAt, type FaultPoint } from './faults.js';
import { TRANSITION } from './scripts.js';
import { WORKER_ANY, retentionMember, type Effect, type LifecycleOptions, type OutputIndex, type TransitionOutcome, type ViewOf } from './types.js';

/**
 * What every transition group of the lifecycle shares: the record store, the notifier, the event
 * a transition appends, the notify step after it, the quota release and usage metering a terminal
 * transition does in the same script, and TRANSITION, the script of every change after the start.
 */
export abstract class LifecycleCore {
  readonly store: JobStore;
  protected readonly notifier: JobNotifier;

  constructor(
    protected readonly redis: Redis,
    protected readonly keys: FarmKeys,
    readonly queues: RenderQueues,
    protected readonly options: LifecycleOptions,
  ) {
    this.store = new JobStore(redis, keys);
    this.notifier = options.notifier ?? noopNotifier;
  }

  protected noEffect(record: JobRecord): Effect {
    return { keys: [this.keys.job(record.id), this.keys.job(record.id)], json: '' };
  }

  /** Gives back what a job reserved against its quotas (for an end other than succeeded). */
  protected releaseEffect(record: JobRecord): Effect {
    const r = record.reserved;
    if (!r) return this.noEffect(record);
    return {
      keys: [this.keys.quotaCounter(record.tenant, dayPeriod(r.day)), this.keys.quotaCounter(record.tenant, monthPeriod(r.month))],
      json: JSON.stringify({ release: { images: r.images, px: r.pixelSteps } }),
    };
  }

  /** Counts a succeeded job's usage (tenant, key, model, images, pixel-steps, render time). */
  protected usageEffect(record: JobRecord, usage: JobUsage, now: number): Effect {
    const day = utcDay(now);
    const keyId = record.keyId ?? 'unknown';
    const images = record.outputs.length;
    const amounts = { jobs: 1, images, px: pixelSteps({ ...record.input, num_images: images }), gpu_ms: Math.round(usage.renderMs) };
    return {
      keys: [this.keys.usageDay(record.tenant, day), this.keys.usageTenants(day)],
      json: JSON.stringify({
        usage: {
          tenant: record.tenant,
          ttlSec: (this.options.usageRetentionDays ?? 400) * 86_400,
          fields: Object.fromEntries(USAGE_FIELDS.map((what) => [usageField(record.model, keyId, what), amounts[what]])),
        },
      }),
    };
  }

  protected event(type: JobEventType, jobId: string, extra: Partial<JobStreamEvent>): JobStreamEvent {
    return { type, job_id: jobId, status: statusAfter(type), at: new Date().toISOString(), ...extra };
  }

  /** Tells the notifier; its failure never fails the transition (the record already changed). */
  protected async notify(type: JobEventType, record: JobRecord, view?: ViewOf): Promise<void> {
    const build = view ?? this.options.view;
    if (!build) return;
    try {
      await this.notifier.notify({
        type,
        tenant: record.tenant,
        jobId: record.id,
        webhook: record.input.webhook,
        progress: record.progress,
        view: () => build(record),
      });
    } catch (err) {
      this.options.onError?.(err, `notify ${type}`);
    }
  }

  protected async transition(
    next: JobRecord,
    from: JobStatus[],
    type: JobEventType,
    fields: string[],
    extra: Partial<JobStreamEvent>,
    workerId: string,
    afterRecord?: FaultPoint,
    indexes: OutputIndex[] = [],
    effect?: Effect,
    leadingEvent = '',
  ): Promise<TransitionOutcome> {
    const k = this.keys;
    const status = statusAfter(type);
    const terminal = isTerminalStatus(status);
    const now = Date.now();
    // a job that ends without succeeding gives back what it reserved against its quotas
    const effects = effect ?? (terminal && status !== 'succeeded' ? this.releaseEffect(next) : this.noEffect(next));
    const [kind, value, cancel] = (await runScript(
      this.redis,
      TRANSITION,
      [k.job(next.id), k.jobEvents(next.id), k.tenantActive(next.tenant), k.retention, k.workerJobs(workerId || next.worker || '-'), k.failures, ...effects.keys, k.failed(next.model), ...indexes.map((i) => i.key)],
      [
        from.join(','),
        JSON.stringify(fields),
        JSON.stringify(this.event(type, next.id, extra)),
        next.id,
        terminal ? '1' : '0',
        String(now + this.options.retentionMs),
        retentionMember(next),
        k.jobChannel(next.id),
        workerId || WORKER_ANY,
        String(this.options.failuresCap ?? 1000),
        String(now),
        status,
        JSON.stringify(indexes.map((i) => [i.value, i.ttlSec])),
        effects.json,
        leadingEvent,
      ],
    )) as [string, string, string];
    if (kind === 'missing') return { kind };
    if (kind === 'refused') return { kind, status: value as JobStatus, cancelRequested: cancel === '1' };
    if (afterRecord) crashAt(this.options.fault, afterRecord);
    if (terminal) this.options.observer?.finished(next, status);
    await this.notify(type, next);
    return { kind: 'ok', eventId: value, cancelRequested: cancel === '1' };
  }
}
