// Chaos through a real farm: CHAOS_JOBS jobs submitted over CHAOS_SECONDS through an API
// process while one of two workers is SIGKILLed every few seconds (and replaced), the Redis
// (a private AOF server, appendfsync always) is SIGKILLed and restarted, and the API process is
// SIGKILLed and restarted. Then, as a client sees it: every job succeeded (0 lost), each job has
// one terminal event in its stream and one terminal webhook id (0 doubled), every image downloads.
// Sized for CI (a couple of minutes on 2 cores); larger with e.g. CHAOS_JOBS=1000 CHAOS_SECONDS=300.
import { afterAll, describe, expect, it, vi } from 'vitest';
import { startReceiver, type Receiver } from '../webhooks/receiver.js';
import { startApiProcess, type ApiProcess } from './support/api-process.js';
import { KEYS, readEvents, startFarm, type Farm, type WorkerProcess } from './support/farm.js';
import { startRedisServer, type RedisServer } from './support/redis-servers.js';

const JOBS = Number(process.env.CHAOS_JOBS ?? 150);
const SUBMIT_SECONDS = Number(process.env.CHAOS_SECONDS ?? 60);
const KILL_EVERY_MS = Number(process.env.CHAOS_KILL_EVERY_MS ?? 4000);
const TERMINAL = ['job.succeeded', 'job.failed', 'job.canceled', 'job.moderated'];

vi.setConfig({ testTimeout: (SUBMIT_SECONDS + 900) * 1000, hookTimeout: 240_000 });

// Recovery settings the chaos needs on a loaded machine: a dead worker's job is found within
// seconds (short lock), and repeated deaths and the Redis restart do not use up a job's runs.
const WORKER_ENV = { LOCK_DURATION_MS: '4000', STALLED_INTERVAL_MS: '2000', MAX_STALLED_COUNT: '20', WEBHOOK_ALLOW_PRIVATE: 'true' };
const FARM_ENV = { JOB_ATTEMPTS: '20', JOB_BACKOFF_MS: '200' };

let redis: RedisServer | undefined;
let farm: Farm | undefined;
let api: ApiProcess | undefined;
let receiver: Receiver | undefined;
afterAll(async () => {
  await api?.kill();
  await farm?.close();
  await receiver?.stop();
  await redis?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const alive = (w: WorkerProcess) => w.child.exitCode === null && w.child.signalCode === null;

type JobBody = { id: string; status: string; outputs: Array<{ url: string }> };

/** A client that retries a submit (same Idempotency-Key) until the API answers it. */
async function submit(index: number): Promise<string> {
  for (;;) {
    try {
      const res = await fetch(`${api!.url}/v1/jobs`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${KEYS.acme}`, 'Content-Type': 'application/json', 'Idempotency-Key': `chaos-${index}` },
        body: JSON.stringify({ prompt: 'a red circle on a blue background', width: 128, height: 128, steps: 12, seed: index, webhook: { url: receiver!.url } }),
      });
      if (res.status === 202) return ((await res.json()) as JobBody).id;
      if (res.status < 500 && res.status !== 429) throw new Error(`submit ${index} answered ${res.status}: ${await res.text()}`);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('submit')) throw err;
      // the API or Redis is down: a client retries with the same key
    }
    await sleep(250);
  }
}

/** Statuses of the tenant's jobs, read page by page (retrying while Redis or the API is down). */
async function statuses(): Promise<Map<string, string>> {
  for (;;) {
    try {
      const found = new Map<string, string>();
      let cursor: string | null = null;
      do {
        const res = await farm!.call('GET', `/v1/jobs?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
        if (res.status !== 200) throw new Error(`list answered ${res.status}`);
        const page = (await res.json()) as { data: JobBody[]; next_cursor: string | null };
        for (const job of page.data) found.set(job.id, job.status);
        cursor = page.next_cursor;
      } while (cursor);
      return found;
    } catch {
      await sleep(500);
    }
  }
}

describe('chaos', () => {
  it(`${JOBS} jobs with workers SIGKILLed every ${KILL_EVERY_MS / 1000} s, a Redis restart and an API kill: none lost, none doubled, every image there`, async () => {
    redis = await startRedisServer({ aof: true });
    receiver = await startReceiver();
    farm = await startFarm({ redisUrl: redis.url, workers: 2, workerEnv: { ...WORKER_ENV, ...FARM_ENV }, apiEnv: FARM_ENV });
    api = await startApiProcess({ ...farm.env, ...FARM_ENV, API_KEYS: `${KEYS.acme}:acme`, WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_SCALE: '0.001' });

    const faults = { workerKills: 0, redisRestarts: 0, apiKills: 0 };
    let submitting = true;
    // One of the two workers dies every few seconds and a new one replaces it. The next kill
    // waits for the replacement to serve, so one worker always runs and the farm keeps moving.
    const killer = (async () => {
      while (submitting) {
        await sleep(KILL_EVERY_MS);
        const live = farm!.workers.filter(alive);
        live[Math.floor(Math.random() * live.length)].child.kill('SIGKILL');
        faults.workerKills++;
        await farm!.startWorker();
      }
    })();

    const ids: string[] = [];
    const started = Date.now();
    const submitted: Array<Promise<void>> = [];
    for (let i = 0; i < JOBS; i++) {
      // Spread the submits over SUBMIT_SECONDS so the faults land among running jobs.
      const due = started + (i * SUBMIT_SECONDS * 1000) / JOBS;
      await sleep(Math.max(0, due - Date.now()));
      submitted.push(submit(i).then((id) => void (ids[i] = id)));
      if (i === Math.floor(JOBS / 3)) {
        await redis.kill('SIGKILL');
        await sleep(1000);
        await redis.start();
        faults.redisRestarts++;
      }
      if (i === Math.floor((2 * JOBS) / 3)) {
        await api.kill('SIGKILL');
        await sleep(1000);
        await api.start();
        faults.apiKills++;
      }
    }
    await Promise.all(submitted);
    submitting = false;
    await killer;

    // Every job reaches a terminal status.
    const deadline = Date.now() + 600_000;
    let seen = await statuses();
    while ([...seen.values()].some((s) => s === 'queued' || s === 'running') || seen.size < JOBS) {
      if (Date.now() > deadline) throw new Error(`not finished: ${JSON.stringify(Object.fromEntries([...seen].filter(([, s]) => s === 'queued' || s === 'running')))}`);
      await sleep(2000);
      seen = await statuses();
    }
    expect(new Set(ids).size).toBe(JOBS);
    expect([...seen.keys()].sort()).toEqual([...ids].sort());
    expect(Object.fromEntries([...seen].filter(([, s]) => s !== 'succeeded'))).toEqual({});
    expect(faults.workerKills).toBeGreaterThanOrEqual(2);
    expect(faults).toMatchObject({ redisRestarts: 1, apiKills: 1 });

    // One terminal event per job in its stream; every image downloads.
    for (const id of ids) {
      const { events } = await readEvents(farm, id);
      expect(events.filter((e) => TERMINAL.includes(e.type)).map((e) => e.type), id).toEqual(['job.succeeded']);
      const job = (await (await farm.call('GET', `/v1/jobs/${id}`)).json()) as JobBody;
      expect(job.outputs, id).toHaveLength(1);
      const image = await fetch(job.outputs[0].url);
      expect(image.status, id).toBe(200);
      expect((await image.arrayBuffer()).byteLength, id).toBeGreaterThan(100);
    }

    // One terminal webhook id per job (a redelivery of the same id is allowed: receivers
    // dedupe on webhook-id), once the deliveries have caught up.
    const terminalIds = () => {
      const byJob = new Map<string, Set<string>>();
      for (const r of receiver!.requests) {
        const event = JSON.parse(r.body) as { type: string; data: { id: string } };
        if (!TERMINAL.includes(event.type)) continue;
        byJob.set(event.data.id, (byJob.get(event.data.id) ?? new Set()).add(r.headers['webhook-id']));
      }
      return byJob;
    };
    const webhookDeadline = Date.now() + 300_000;
    while (terminalIds().size < JOBS && Date.now() < webhookDeadline) await sleep(1000);
    const byJob = terminalIds();
    expect(ids.filter((id) => !byJob.has(id))).toEqual([]);
    expect([...byJob].filter(([, webhookIds]) => webhookIds.size !== 1).map(([id, webhookIds]) => `${id}: ${[...webhookIds].join(' ')}`)).toEqual([]);
    console.log(`chaos: ${JOBS} jobs in ${((Date.now() - started) / 1000).toFixed(0)} s, ${faults.workerKills} worker kills, 1 Redis restart, 1 API kill; ${receiver.requests.length} webhook requests`);
  });
});
