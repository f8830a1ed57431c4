import type { Redis } from 'ioredis';
import { isTerminalStatus } from '@flowfarm/contracts';
import type { FarmKeys } from './keys.js';
import type { JobRecord } from './job-record.js';
import type { JobLifecycle } from './lifecycle/job-lifecycle.js';

export interface DeadlineHandlers {
  /** The job ended expired (or was canceled while queued by Cancel-After); the lifecycle already notified and counted. */
  onFinished?(record: JobRecord, status: 'expired' | 'canceled'): Promise<void>;
}

/**
 * Ends jobs whose deadlines passed, whether or not a worker is free: a job not started by its
 * start deadline ends `expired` and its queue token is removed; a job still running at its
 * Cancel-After deadline gets a cancel request (its worker stops at the next step). Deadlines
 * sit in one sorted set; any number of processes may sweep, each deadline is claimed once.
 * Workers also refuse an overdue job when they take it (render-processor), so a job expires
 * on time even between two sweeps.
 */
export class DeadlineSweeper {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;

  constructor(
    private readonly redis: Redis,
    private readonly keys: FarmKeys,
    private readonly lifecycle: JobLifecycle,
    private readonly handlers: DeadlineHandlers = {},
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  start(intervalMs: number): this {
    this.timer = setInterval(() => void this.sweep().catch(this.onError), intervalMs);
    this.timer.unref();
    return this;
  }

  /** Handles every deadline due by `now`; resolves to how many jobs it ended or asked to cancel. */
  sweep(now = Date.now()): Promise<number> {
    return (this.running ??= this.sweepDue(now).finally(() => (this.running = null)));
  }

  private async sweepDue(now: number): Promise<number> {
    let handled = 0;
    for (;;) {
      const due = await this.redis.zrangebyscore(this.keys.deadlines, '-inf', now, 'LIMIT', 0, 100);
      for (const id of due) {
        if ((await this.redis.zrem(this.keys.deadlines, id)) !== 1) continue; // another sweeper has it
        if (await this.handle(id, now)) handled++;
      }
      if (due.length < 100) return handled;
    }
  }

  private async handle(id: string, now: number): Promise<boolean> {
    const record = await this.lifecycle.store.get(id);
    if (!record || isTerminalStatus(record.status)) return false;
    if (record.status === 'queued' && record.startedAt === null && record.startBy && record.startBy <= now) {
      const outcome = await this.lifecycle.expire(record);
      if (outcome.kind !== 'ok') return false;
      await this.handlers.onFinished?.({ ...record, status: 'expired', finishedAt: Date.now() }, 'expired');
      return true;
    }
    if (!record.cancelAt) return false;
    if (record.cancelAt > now) {
      await this.redis.zadd(this.keys.deadlines, record.cancelAt, id); // started in time: watch the run deadline
      return false;
    }
    const outcome = await this.lifecycle.cancel(record);
    if (outcome.kind === 'canceled_now') await this.handlers.onFinished?.(outcome.record, 'canceled');
    return outcome.kind === 'canceled_now' || outcome.kind === 'requested';
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running?.catch(() => {});
  }
}
