import { Worker, type ConnectionOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { FarmKeys } from '../keys.js';
import { renderQueueName } from '../keys.js';
import { dispatchTokenId } from './stages.js';

/**
 * Runs BullMQ's own stalled-job move for a model's queue now (a Worker's moveStalledJobsToWait:
 * its script moves every job of the `stalled` set whose lock is gone back to `wait`, counts the
 * stall on the job and emits `stalled`).
 */
export type StalledMove = (model: string) => Promise<void>;

/** Puts a dead worker's job back to waiting in its record (`JobLifecycle.abandoned`). */
export type Requeue = (jobId: string, model: string, workerId: string) => Promise<unknown>;

/**
 * BullMQ's stalled-job move for a process that runs no queue worker (the API): one BullMQ Worker
 * per model that never fetches jobs (autorun off, no processor), created on first use, with the
 * farm's MAX_STALLED_COUNT.
 */
export function bullStalledMover(connection: Redis, keys: FarmKeys, opts: { maxStalledCount: number; stalledIntervalMs?: number }): { move: StalledMove; close(): Promise<void> } {
  const workers = new Map<string, Worker>();
  return {
    async move(model) {
      let worker = workers.get(model);
      if (!worker) {
        worker = new Worker(renderQueueName(model), null, {
          connection: connection as unknown as ConnectionOptions,
          prefix: keys.bullPrefix,
          autorun: false,
          maxStalledCount: opts.maxStalledCount,
          stalledInterval: opts.stalledIntervalMs ?? 30_000,
          name: 'takeover',
        });
        worker.on('error', () => {}); // the chore reports its own failure
        workers.set(model, worker);
      }
      // BullMQ's own stalled check (private in its typings; the workers call it the same way)
      await (worker as unknown as { moveStalledJobsToWait(): Promise<void> }).moveStalledJobsToWait();
    },
    async close() {
      await Promise.allSettled([...workers.values()].map((w) => w.close()));
      workers.clear();
    },
  };
}

/** Takes back the stall BullMQ's move is about to count on an active token (KEYS: job hash, active list; ARGV: token). */
const UNCOUNT_STALL = `if redis.call('exists', KEYS[1]) == 1 and redis.call('lpos', KEYS[2], ARGV[1]) then redis.call('hincrby', KEYS[1], 'stc', -1) end return 0`;

/**
 * Fast takeover of a dead worker's jobs. Workers record the jobs they hold (the claim script
 * writes `worker:<id>:jobs`, for jobs claimed for the next batch as well as running ones; the finish script marks the entry done, the worker's next start
 * removes it) and announce themselves with a
 * heartbeat key that expires within seconds of their death. For a worker in `holders` whose
 * heartbeat is gone, each job the record still says it runs loses its BullMQ lock and is put in
 * the queue's `stalled` set, and BullMQ's stalled check runs at once: the job is back in the queue
 * in about one heartbeat TTL instead of after the lock duration plus a stall interval. BullMQ's
 * own periodic stalled check stays as the backstop. With `requeue` each job's record goes back
 * to waiting first (running → queued, claimed → released), so it does not look running while no
 * one runs it. Workers and API processes run this (one at a time), so a farm with no live worker
 * still hands jobs back. Returns the ids of the jobs handed back.
 */
export async function reapDeadWorkers(redis: Redis, keys: FarmKeys, stalledMove: StalledMove, requeue?: Requeue): Promise<string[]> {
  const holders = await redis.smembers(keys.holders);
  if (holders.length === 0) return [];
  const beats = await redis.mget(holders.map((id) => keys.worker(id)));
  const dead = holders.filter((_, i) => beats[i] === null);
  const handedBack: string[] = [];
  const models = new Set<string>();
  for (const workerId of dead) {
    const held = await redis.hgetall(keys.workerJobs(workerId));
    const ids = Object.keys(held);
    const states = ids.length ? await redis.pipeline(ids.map((id) => ['hmget', keys.job(id), 'status', 'worker', 'stage'])).exec() : [];
    const release = redis.multi();
    const abandoned: Array<[string, string]> = [];
    ids.forEach((jobId, i) => {
      const [status, holder, stage] = (states?.[i]?.[1] ?? []) as [string | null, string | null, string | null];
      // `<model> done`: the run ended, BullMQ may not have heard (its token's re-run finds the end);
      // `<model> done <k>`: a prompt chain's stage k ended (stages.ts): that stage's token was this
      // worker's, whoever runs the job now. Otherwise the job is running, or claimed (queued, held
      // for the worker's next batch).
      const [model, done, stageRan] = held[jobId].split(' ');
      if (stageRan === undefined && (holder !== workerId || (status !== 'running' && status !== 'queued' && !done))) return;
      const queue = `${keys.bullPrefix}:${renderQueueName(model)}`;
      const token = dispatchTokenId(jobId, stageRan !== undefined ? Number(stageRan) : stage === null ? null : Number(stage));
      release.del(`${queue}:${token}:lock`).sadd(`${queue}:stalled`, token).del(`${queue}:stalled-check`);
      // A job only claimed (held for the dead worker's next batch) never began: BullMQ's move
      // counts a stall on it, which this takes back first, so it does not use up a run (its
      // attempt number, MAX_STALLED_COUNT). Only while the token is still active: the move counts
      // nothing otherwise.
      if (holder === workerId && status === 'queued' && !done && stageRan === undefined) release.eval(UNCOUNT_STALL, 2, `${queue}:${token}`, `${queue}:active`, token);
      models.add(model);
      if (holder === workerId && !done && (status === 'running' || status === 'queued')) {
        handedBack.push(jobId);
        abandoned.push([jobId, model]);
      }
    });
    // the records first: held by nobody, waiting (a new holder's claim makes these refuse)
    if (requeue) for (const [jobId, model] of abandoned) await requeue(jobId, model, workerId);
    release.del(keys.workerJobs(workerId)).srem(keys.holders, workerId);
    await release.exec();
  }
  for (const model of models) await stalledMove(model);
  return handedBack;
}
