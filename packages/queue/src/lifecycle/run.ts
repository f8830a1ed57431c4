import type { JobEventType, JobStatus } from '@flowfarm/contracts';
import { recordFromHash, type JobRecord } from '../job-record.js';
import { runScript } from '../lua.js';
import { crashAt } from './faults.js';
import { BEGIN, CLAIM, PROGRESS, START } from './scripts.js';
import { SubmitTransitions } from './submit.js';
import type { BeginOutcome, ClaimOutcome, StartOutcome, TransitionOutcome } from './types.js';

/** A worker's run: claim (held, still queued), begin (running, when its batch starts), start (both), progress. */
export abstract class RunTransitions extends SubmitTransitions {
  /** queued → expired (job-lifecycle.ts): a claim finds the job past its start deadline. */
  abstract expire(record: JobRecord): Promise<TransitionOutcome>;

  /**
   * Claim and begin in one step: queued|running → running for `workerId` (a first run, a retry,
   * or a re-run after the previous holder died). Returns the record (the request the worker
   * renders is in it). A batching worker claims first and begins when the batch starts.
   */
  async start(jobId: string, workerId: string, attempt: number, model: string): Promise<StartOutcome> {
    const outcome = await this.claimOrStart(START, jobId, workerId, attempt, model);
    if (outcome.kind !== 'ok') return outcome;
    crashAt(this.options.fault, 'start:after-mark');
    await this.started(outcome.record, attempt);
    return outcome;
  }

  /**
   * The worker took the job's token and holds it for a batch that has not started: the record
   * says which worker holds it (takeover hands it back when that worker dies) and stays queued
   * (a re-run after a dead holder stays running until it begins again). Its outbox, fair-pending
   * and waiting entries go. `begin` makes it running when its batch starts.
   */
  claim(jobId: string, workerId: string, model: string): Promise<ClaimOutcome> {
    return this.claimOrStart(CLAIM, jobId, workerId, 0, model);
  }

  /**
   * The claimed job's batch starts now: queued|running → running (attempt, started_at of the first
   * run, job.started, webhooks, queue-wait metric). Refused when this worker no longer holds the
   * job: canceled or expired meanwhile, or taken over after a missed heartbeat.
   */
  async begin(record: JobRecord, workerId: string, attempt: number): Promise<BeginOutcome> {
    const k = this.keys;
    const now = Date.now();
    const [kind, value, cancel] = (await runScript(
      this.redis,
      BEGIN,
      [k.job(record.id), k.jobEvents(record.id), k.workerJobs(workerId)],
      [workerId, String(attempt), String(now), JSON.stringify(this.event('job.started', record.id, { attempt })), k.jobChannel(record.id), record.model],
    )) as [string, string, string];
    if (kind !== 'ok') return { kind: 'refused', status: value as JobStatus | 'missing', cancelRequested: cancel === '1' };
    const running: JobRecord = {
      ...record,
      status: 'running',
      attempt,
      worker: workerId,
      startedAt: record.startedAt ?? now,
      // a prompt chain's later stage starts where the stages done so far left its progress
      progress: { step: record.stageStep ?? 0, total: record.progress.total },
      cancelRequested: record.cancelRequested || cancel === '1',
    };
    crashAt(this.options.fault, 'start:after-mark');
    await this.started(running, attempt);
    return { kind: 'ok', record: running, cancelRequested: cancel === '1' };
  }

  private async started(record: JobRecord, attempt: number): Promise<void> {
    this.options.observer?.started(record, attempt === 1 ? Math.max(0, (record.startedAt ?? Date.now()) - record.createdAt) : null);
    await this.notify('job.started', record);
  }

  private async claimOrStart(script: string, jobId: string, workerId: string, attempt: number, model: string): Promise<StartOutcome> {
    const k = this.keys;
    const answer = (await runScript(
      this.redis,
      script,
      [k.job(jobId), k.jobEvents(jobId), k.workerJobs(workerId), k.holders, k.dispatch, k.fairPending(model), k.waiting(model)],
      [workerId, String(attempt), String(Date.now()), JSON.stringify(this.event('job.started', jobId, { attempt })), k.jobChannel(jobId)],
    )) as string[];
    const [kind, , cancel] = answer;
    if (kind === 'missing') return { kind };
    const record = recordFromHash(answer.slice(3));
    if (!record) return { kind: 'missing' };
    if (kind === 'overdue') {
      // past its start deadline: never rendered (the API's deadline sweeper may not have run yet)
      await this.expire(record);
      return { kind: 'terminal', record: (await this.store.get(jobId)) ?? record };
    }
    if (kind === 'terminal') {
      // A re-run after a worker died between recording the end and telling BullMQ (or the
      // notifier): tell the notifier again; it sends a job's terminal event once only.
      await this.notify(`job.${record.status}` as JobEventType, record);
      return { kind: 'terminal', record };
    }
    return { kind: 'ok', record, cancelRequested: cancel === '1' };
  }

  /** Records a step of a run `workerId` holds; the answer says whether a cancel was requested meanwhile. */
  async progress(record: JobRecord, workerId: string, step: number, total: number): Promise<TransitionOutcome> {
    const k = this.keys;
    const progress = { step, total };
    const [kind, value, cancel] = (await runScript(
      this.redis,
      PROGRESS,
      [k.job(record.id), k.jobEvents(record.id)],
      [workerId, JSON.stringify(progress), JSON.stringify(this.event('job.progress', record.id, { progress })), k.jobChannel(record.id)],
    )) as [string, string, string];
    if (kind !== 'ok') return { kind: 'refused', status: value as JobStatus, cancelRequested: cancel === '1' };
    record.progress = progress;
    await this.notify('job.progress', record);
    return { kind: 'ok', eventId: value, cancelRequested: cancel === '1' };
  }
}
