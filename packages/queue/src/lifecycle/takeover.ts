import type { Redis } from 'ioredis';
import type { FarmKeys } from '../keys.js';
import { renderQueueName } from '../keys.js';

/**
 * Runs BullMQ's own stalled-job move for a model's queue now (a Worker's moveStalledJobsToWait:
 * its script moves every job of the `stalled` set whose lock is gone back to `wait`, counts the
 * stall on the job and emits `stalled`).
 */
export type StalledMove = (model: string) => Promise<void>;

/**
 * Fast takeover of a dead worker's jobs. Workers record the jobs they hold (the claim script
 * writes `worker:<id>:jobs`, for jobs claimed for the next batch as well as running ones; the finish script marks the entry done, the worker's next start
 * removes it) and announce themselves with a
 * heartbeat key that expires within seconds of their death. For a worker in `holders` whose
 * heartbeat is gone, each job the record still says it runs loses its BullMQ lock and is put in
 * the queue's `stalled` set, and BullMQ's stalled check runs at once: the job is back in the queue
 * in about one heartbeat TTL instead of after the lock duration plus a stall interval. BullMQ's
 * own periodic stalled check stays as the backstop (e.g. when no worker of the model is alive).
 * Returns the ids of the jobs handed back.
 */
export async function reapDeadWorkers(redis: Redis, keys: FarmKeys, stalledMove: StalledMove): Promise<string[]> {
  const holders = await redis.smembers(keys.holders);
  if (holders.length === 0) return [];
  const beats = await redis.mget(holders.map((id) => keys.worker(id)));
  const dead = holders.filter((_, i) => beats[i] === null);
  const handedBack: string[] = [];
  const models = new Set<string>();
  for (const workerId of dead) {
    const held = await redis.hgetall(keys.workerJobs(workerId));
    const ids = Object.keys(held);
    const states = ids.length ? await redis.pipeline(ids.map((id) => ['hmget', keys.job(id), 'status', 'worker'])).exec() : [];
    const release = redis.multi();
    ids.forEach((jobId, i) => {
      const [status, holder] = (states?.[i]?.[1] ?? []) as [string | null, string | null];
      // `<model> done`: the run ended, BullMQ may not have heard (its token's re-run finds the end)
      const [model, done] = held[jobId].split(' ');
      // running, or claimed (queued, held for the worker's next batch), or ended but not told BullMQ
      if (holder !== workerId || (status !== 'running' && status !== 'queued' && !done)) return;
      const queue = `${keys.bullPrefix}:${renderQueueName(model)}`;
      release.del(`${queue}:${jobId}:lock`).sadd(`${queue}:stalled`, jobId).del(`${queue}:stalled-check`);
      models.add(model);
      if (!done && (status === 'running' || status === 'queued')) handedBack.push(jobId);
    });
    release.del(keys.workerJobs(workerId)).srem(keys.holders, workerId);
    await release.exec();
  }
  for (const model of models) await stalledMove(model);
  return handedBack;
}
