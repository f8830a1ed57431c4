import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { Worker } from 'bullmq';
import { bullStalledMover, JobEventHub, JobLifecycle, reapDeadWorkers, renderQueueName, toJobView, type JobRecord } from '../index.js';
import { lifecycleFixture } from '../testing/lifecycle-fixture.js';

const fixture = lifecycleFixture({ attempts: 2, backoffMs: 10 });
const { keys, redis, queues, lifecycle } = fixture;
const store = lifecycle.store;
afterAll(() => fixture.close());

function record(tenant = 't1', model = 'mini'): JobRecord {
  return {
    id: `j_${randomUUID()}`,
    tenant,
    model,
    input: { prompt: 'a red circle', width: 64, height: 64 },
    status: 'queued',
    progress: { step: 0, total: 4 },
    outputs: [],
    error: null,
    createdAt: Date.now(),
    startedAt: null,
    finishedAt: null,
    cancelRequested: false,
    attempt: 0,
    request: { prompt: 'a red circle', width: 64, height: 64, steps: 4, seed: 1, numImages: 1 },
  };
}

async function started(id: string, worker = 'w1', attempt = 1): Promise<JobRecord> {
  const outcome = await lifecycle.start(id, worker, attempt, (await store.get(id))!.model);
  if (outcome.kind !== 'ok') throw new Error(`not started: ${outcome.kind}`);
  return outcome.record;
}

describe('JobLifecycle', () => {
  it('answers the same job for the same idempotency key and body, and a conflict for another body', async () => {
    const first = record();
    const idem = { key: 'k1', bodyHash: 'h1', ttlSec: 60 };
    expect(await lifecycle.submit(first, { maxActive: 10, idempotency: idem })).toMatchObject({ kind: 'created', record: { id: first.id } });
    expect(await lifecycle.submit(record(), { maxActive: 10, idempotency: idem })).toMatchObject({ kind: 'existing', record: { id: first.id } });
    expect(await lifecycle.submit(record(), { maxActive: 10, idempotency: { ...idem, bodyHash: 'h2' } })).toEqual({ kind: 'conflict', jobId: first.id });
  });

  it('dispatches a token that carries only the id, in submit order (queue position from the prioritized set)', async () => {
    const model = `fifo-${randomUUID().slice(0, 6)}`;
    const jobs = [record('fifo', model), record('fifo', model), record('fifo', model)];
    const submitted = [];
    for (const job of jobs) submitted.push(await lifecycle.submit(job, { maxActive: 10 }));
    // the submit script's own answer, before the token is read back
    expect(submitted.map((out) => (out.kind === 'created' ? out.queuePosition : 'not created'))).toEqual([0, 1, 2]);
    const token = await queues.queue(model).getJob(jobs[0].id);
    expect(token?.data).toEqual({ jobId: jobs[0].id });
    expect(token?.opts).toMatchObject({ removeOnComplete: true, removeOnFail: true });
    expect(await Promise.all(jobs.map((j) => queues.queuePosition(model, j.id)))).toEqual([0, 1, 2]);
    // the record is the truth: the worker gets the request from the start script
    expect((await started(jobs[0].id)).request).toEqual(jobs[0].request);
  });

  it('records a moderated job as finished, never dispatched', async () => {
    const job = record('mod', `mod-${randomUUID().slice(0, 6)}`);
    const out = await lifecycle.submit(job, { maxActive: 10, moderation: { stage: 'prompt', reason: 'test' } });
    expect(out).toMatchObject({ kind: 'created', record: { status: 'moderated' } });
    expect(await queues.queue(job.model).getJob(job.id)).toBeUndefined();
    expect((await store.readEvents(job.id)).map((e) => e.event.type)).toEqual(['job.queued', 'job.moderated']);
    expect(await store.activeCount('mod')).toBe(0);
  });

  it('refuses a job over the active cap and frees the slot when a job finishes', async () => {
    const a = record('capped');
    expect((await lifecycle.submit(a, { maxActive: 1 })).kind).toBe('created');
    expect(await lifecycle.submit(record('capped'), { maxActive: 1 })).toEqual({ kind: 'full', active: 1 });
    await lifecycle.succeed(await started(a.id), 'w1', [], 5);
    expect((await lifecycle.submit(record('capped'), { maxActive: 1 })).kind).toBe('created');
  });

  it('cancels a queued job at once and a running one by request; a finished one stays finished', async () => {
    const queued = record();
    await lifecycle.submit(queued, { maxActive: 10 });
    expect((await lifecycle.cancel(queued)).kind).toBe('canceled_now');
    expect((await store.get(queued.id))?.status).toBe('canceled');
    expect(await queues.queue(queued.model).getJob(queued.id)).toBeUndefined();
    expect((await lifecycle.start(queued.id, 'w1', 1, queued.model)).kind).toBe('terminal');

    const running = record();
    await lifecycle.submit(running, { maxActive: 10 });
    const run = await started(running.id);
    expect((await lifecycle.cancel(running)).kind).toBe('requested');
    expect(await lifecycle.progress(run, 'w1', 1, 4)).toMatchObject({ kind: 'ok', cancelRequested: true });
    await lifecycle.canceled(run, 'w1');
    expect(await lifecycle.cancel(running)).toEqual({ kind: 'finished', status: 'canceled' });
  });

  it("marks the notice of a job's end, and only that one, as terminal, with the job as it ended", async () => {
    const hub = new JobEventHub(redis.duplicate(), keys);
    try {
      // a prompt JSON and Lua's cjson must carry unchanged: quotes, slashes, non-Latin text
      const finished = { ...record(), input: { prompt: 'a "red" circle / 赤い円 \\ 🟥', width: 64, height: 64 } };
      const canceled = record();
      const ends: JobRecord[] = [];
      await hub.on(finished.id, ({ record }) => record && ends.push(record));
      const heard = new Map<string, Array<boolean | string>>([[finished.id, []], [canceled.id, []]]);
      for (const [id, notices] of heard) await hub.on(id, (notice) => notices.push(notice.record ? `${notice.terminal} ${notice.record.status} ${notice.record.id}` : notice.terminal));
      await lifecycle.submit(finished, { maxActive: 10 });
      const run = await started(finished.id);
      for (let step = 1; step <= 3; step++) await lifecycle.progress(run, 'w1', step, 4);
      await lifecycle.succeed(run, 'w1', [], 5);
      await lifecycle.submit(canceled, { maxActive: 10 });
      await lifecycle.cancel(canceled);
      await expect.poll(() => heard.get(finished.id)).toEqual([false, false, false, false, `true succeeded ${finished.id}`]);
      await expect.poll(() => heard.get(canceled.id)).toEqual([`true canceled ${canceled.id}`]);
      expect(ends).toEqual([await store.get(finished.id)]);
    } finally {
      await hub.close();
    }
  });

  it('refuses the progress and finish of a run another worker took over', async () => {
    const job = record();
    await lifecycle.submit(job, { maxActive: 10 });
    const first = await started(job.id, 'w-old', 1);
    const second = await started(job.id, 'w-new', 2);
    expect(second.attempt).toBe(2);
    expect((await lifecycle.progress(first, 'w-old', 2, 4)).kind).toBe('refused');
    expect((await lifecycle.succeed(first, 'w-old', [], 1)).kind).toBe('refused');
    expect((await lifecycle.succeed(second, 'w-new', [], 1)).kind).toBe('ok');
    expect(await store.get(job.id)).toMatchObject({ status: 'succeeded', worker: 'w-new', renderMs: 1 });
  });

  it('keeps a claimed job queued (next in line, held by its worker) until its batch begins', async () => {
    const r = record('claim', `claim-${randomUUID().slice(0, 6)}`);
    await lifecycle.submit(r, { maxActive: 10 });
    const claimed = await lifecycle.claim(r.id, 'w1', r.model);
    expect(claimed).toMatchObject({ kind: 'ok', record: { status: 'queued', startedAt: null, worker: 'w1' } });
    const held = (await store.get(r.id))!;
    expect(held).toMatchObject({ status: 'queued', startedAt: null, worker: 'w1' });
    expect(held.claimedAt).toBeGreaterThan(0);
    // what a tenant sees: queued, first in line (its token left the queue with the claim)
    const view = await toJobView(held, { apiBaseUrl: 'http://x', outputUrl: async (k) => k, queuePosition: await queues.queuePosition(r.model, r.id) });
    expect(view).toMatchObject({ status: 'queued', queue_position: 0, started_at: null });
    expect((await store.readEvents(r.id)).map((e) => e.event.type)).toEqual(['job.queued']);
    expect(await redis.hget(keys.workerJobs('w1'), r.id)).toBe(r.model);

    const began = await lifecycle.begin(claimed.kind === 'ok' ? claimed.record : held, 'w1', 1);
    expect(began).toMatchObject({ kind: 'ok', record: { status: 'running', attempt: 1 } });
    const running = (await store.get(r.id))!;
    expect(running).toMatchObject({ status: 'running', attempt: 1, worker: 'w1' });
    expect(running.startedAt).toBeGreaterThanOrEqual(held.claimedAt!);
    expect((await store.readEvents(r.id)).map((e) => e.event.type)).toEqual(['job.queued', 'job.started']);
    expect((await lifecycle.succeed(running, 'w1', [], 1)).kind).toBe('ok');
  });

  it('does not begin a claimed job that was canceled, or taken over, before its batch started', async () => {
    const canceled = record('claim');
    await lifecycle.submit(canceled, { maxActive: 10 });
    const held = await lifecycle.claim(canceled.id, 'w1', canceled.model);
    expect((await lifecycle.cancel(canceled)).kind).toBe('canceled_now');
    expect(await lifecycle.begin(held.kind === 'ok' ? held.record : canceled, 'w1', 1)).toMatchObject({ kind: 'refused', status: 'canceled' });
    expect(await redis.hget(keys.workerJobs('w1'), canceled.id)).toBe(`${canceled.model} done`);
    expect((await store.readEvents(canceled.id)).map((e) => e.event.type)).toEqual(['job.queued', 'job.canceled']);

    const taken = record('claim');
    await lifecycle.submit(taken, { maxActive: 10 });
    const old = await lifecycle.claim(taken.id, 'w-old', taken.model);
    await lifecycle.claim(taken.id, 'w-new', taken.model);
    expect(await lifecycle.begin(old.kind === 'ok' ? old.record : taken, 'w-old', 1)).toMatchObject({ kind: 'refused', status: 'queued' });
    // the old holder cannot end it either
    expect((await lifecycle.canceled(taken, 'w-old')).kind).toBe('refused');
    expect((await lifecycle.begin(taken, 'w-new', 2)).kind).toBe('ok');
  });

  it('hands the claimed (not yet running) jobs of a worker whose heartbeat expired back to the queue', async () => {
    const r = record('reap', `reapc-${randomUUID().slice(0, 6)}`);
    await lifecycle.submit(r, { maxActive: 10 });
    await lifecycle.claim(r.id, 'w-dead-claim', r.model);
    expect(await reapDeadWorkers(redis, keys, async () => {})).toContain(r.id);
    expect(await redis.sismember(`${keys.bullPrefix}:render.${r.model}:stalled`, r.id)).toBe(1);
  });

  it('counts a stall on a dead worker\'s running job, not on one it only claimed for its next batch', async () => {
    const model = `reapstc-${randomUUID().slice(0, 6)}`;
    const run = record('reapstc', model);
    const held = record('reapstc', model);
    for (const r of [run, held]) await lifecycle.submit(r, { maxActive: 10 });
    // the dead worker took both tokens from BullMQ (active, locked): one began, one was held
    const taker = new Worker(renderQueueName(model), null, { connection: { host: '127.0.0.1', port: 6379 }, prefix: keys.bullPrefix, autorun: false });
    expect((await taker.getNextJob('dead-1', { block: false }))?.id).toBe(run.id);
    expect((await taker.getNextJob('dead-2', { block: false }))?.id).toBe(held.id);
    await started(run.id, 'w-dead-stc');
    await lifecycle.claim(held.id, 'w-dead-stc', model);
    const moverRedis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
    const mover = bullStalledMover(moverRedis, keys, { maxStalledCount: 1 });
    const handedBack = await reapDeadWorkers(redis, keys, mover.move, (id, m, w) => lifecycle.abandoned(id, m, w));
    expect(handedBack.sort()).toEqual([run.id, held.id].sort());
    const queue = queues.queue(model);
    expect(await queue.getJobState(run.id)).toBe('waiting');
    expect(await queue.getJobState(held.id)).toBe('waiting');
    // the next run of each: attempt 2 for the one that ran, still attempt 1 for the held one
    expect((await queue.getJob(run.id))!.stalledCounter).toBe(1);
    expect((await queue.getJob(held.id))!.stalledCounter).toBe(0);
    await mover.close();
    await taker.close();
    moverRedis.disconnect();
  });

  it('puts the jobs of a dead worker back to waiting in their records, so cancel ends them at once', async () => {
    const model = `reapq-${randomUUID().slice(0, 6)}`;
    const run = record('reapq', model);
    const held = record('reapq', model);
    for (const r of [run, held]) await lifecycle.submit(r, { maxActive: 10 });
    await started(run.id, 'w-gone');
    await lifecycle.claim(held.id, 'w-gone', model);
    const handedBack = await reapDeadWorkers(redis, keys, async () => {}, (id, m, w) => lifecycle.abandoned(id, m, w));
    expect(handedBack.sort()).toEqual([run.id, held.id].sort());
    const [r1, r2] = [(await store.get(run.id))!, (await store.get(held.id))!];
    expect(r1).toMatchObject({ status: 'queued', worker: null, claimedAt: null });
    expect(r1.startedAt).not.toBeNull(); // it did start: no start deadline applies any more
    expect(r2).toMatchObject({ status: 'queued', worker: null, claimedAt: null, startedAt: null });
    const events = await store.readEvents(run.id);
    expect(events.at(-1)?.event).toMatchObject({ type: 'job.queued', error: { code: 'worker_lost' } });
    // the dead worker's late report is refused; a cancel ends the job now, not at a next step
    expect((await lifecycle.progress(r1, 'w-gone', 2, 4)).kind).toBe('refused');
    expect((await lifecycle.cancel(r1)).kind).toBe('canceled_now');
    // the released job waits again (oldest wait)
    expect((await queues.stats(model, 60_000)).oldestWaitingAt).toBe(held.createdAt);
  });

  it('reports the oldest waiting job whatever its place in line, and the failed jobs still kept', async () => {
    const model = `stats-${randomUUID().slice(0, 6)}`;
    const old = { ...record('stats-a', model), createdAt: Date.now() - 60_000 };
    const next = record('stats-b', model);
    for (const r of [old, next]) await lifecycle.submit(r, { maxActive: 10 });
    // the old job is not next in line (as a flooding tenant's job under fair share)
    await (await queues.queue(model).getJob(old.id))!.changePriority({ priority: 100 });
    expect(await queues.queuePosition(model, next.id)).toBe(0);
    expect(await queues.stats(model, 60_000)).toEqual({ oldestWaitingAt: old.createdAt, failed: 0 });
    // claimed by a worker: no longer waiting for one; canceled: gone from the gauge
    await lifecycle.claim(old.id, 'w1', model);
    expect((await queues.stats(model, 60_000)).oldestWaitingAt).toBe(next.createdAt);
    await lifecycle.cancel(next);
    expect((await queues.stats(model, 60_000)).oldestWaitingAt).toBeNull();
    await lifecycle.fail(old, 'w1', { code: 'render_failed', message: 'boom' });
    expect((await queues.stats(model, 60_000)).failed).toBe(1);
    // older than the retention: no longer kept
    expect((await queues.stats(model, 60_000, Date.now() + 61_000)).failed).toBe(0);
  });

  it('keeps events in order (job.queued made from the record) and resumes after a given event id', async () => {
    const r = record();
    await lifecycle.submit(r, { maxActive: 10 });
    const run = await started(r.id);
    for (let step = 1; step <= 3; step++) await lifecycle.progress(run, 'w1', step, 3);
    await lifecycle.succeed(run, 'w1', [{ key: `t1/${r.id}/0.png`, content_type: 'image/png', width: 64, height: 64, seed: 1, bytes: 10 }], 3);
    const all = await store.readEvents(r.id);
    expect(all.map((e) => e.event.type)).toEqual(['job.queued', 'job.started', 'job.progress', 'job.progress', 'job.progress', 'job.succeeded']);
    expect((await store.readEvents(r.id, all[0].id)).map((e) => e.id)).toEqual(all.slice(1).map((e) => e.id));
    const rest = await store.readEvents(r.id, all[2].id);
    expect(rest.map((e) => e.event.progress?.step ?? e.event.type)).toEqual([2, 3, 'job.succeeded']);
  });

  it('lists failed jobs in the recent-failures list', async () => {
    const r = record();
    await lifecycle.submit(r, { maxActive: 10 });
    await lifecycle.fail(await started(r.id), 'w1', { code: 'render_failed', message: 'boom' });
    expect(await store.recentFailures(5)).toContain(r.id);
  });

  it('dispatches again, from the outbox, a job whose token was never added', async () => {
    const r = record('outbox', `outbox-${randomUUID().slice(0, 6)}`);
    await lifecycle.submit(r, { maxActive: 10 });
    // what a worker that dies between recording a chain stage and adding the next token leaves: no token, an outbox entry
    await queues.queue(r.model).remove(r.id);
    await redis.zadd(keys.dispatch, Date.now() - 10_000, r.id);
    expect(await queues.queuePosition(r.model, r.id)).toBeNull();
    expect(await lifecycle.reconcileDispatch(3000)).toBeGreaterThanOrEqual(1);
    expect(await queues.queuePosition(r.model, r.id)).toBe(0);
    expect(await redis.zscore(keys.dispatch, r.id)).toBeNull();
  });

  it('hands the running jobs of a worker whose heartbeat expired back to the queue', async () => {
    const r = record('reap', `reap-${randomUUID().slice(0, 6)}`);
    await lifecycle.submit(r, { maxActive: 10 });
    await started(r.id, 'w-dead');
    const moved: string[] = [];
    // no heartbeat key for w-dead: it is gone
    expect(await reapDeadWorkers(redis, keys, async (model) => void moved.push(model))).toContain(r.id);
    expect(moved).toContain(r.model);
    const queue = `${keys.bullPrefix}:render.${r.model}`;
    expect(await redis.sismember(`${queue}:stalled`, r.id)).toBe(1);
    expect(await redis.sismember(keys.holders, 'w-dead')).toBe(0);
    expect(await reapDeadWorkers(redis, keys, async () => {})).toEqual([]);
  });

  it('hands out expired jobs once and removes their records', async () => {
    const shortLived = new JobLifecycle(redis, keys, queues, { retentionMs: 0 });
    const r = record('ret');
    await shortLived.submit(r, { maxActive: 10 });
    await shortLived.cancel(r);
    const claimed = await store.claimExpired(Date.now() + 1);
    expect(claimed).toContainEqual({ tenant: 'ret', id: r.id });
    expect(await store.claimExpired(Date.now() + 1)).not.toContainEqual({ tenant: 'ret', id: r.id });
    await store.remove('ret', r.id);
    expect(await store.get(r.id)).toBeNull();
    expect(await store.listIds('ret', 0, 10)).toEqual([]);
  });
});
