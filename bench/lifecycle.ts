// The job lifecycle against raw BullMQ, in one run on one private redis-server (so other work on
// the shared 6379 does not show in command counts or memory). Prints every lifecycle target of
// issue 11 next to its baseline measured in the same run:
//  - overhead per job: client round trip (POST with Prefer: wait) minus the worker's own render
//    time, p50/p99, against a raw BullMQ round trip (queue.add → no-op Worker in another process
//    → waitUntilFinished);
//  - Redis commands per 4-step job without a webhook (INFO commandstats, idle traffic and the
//    bench's own polling subtracted), against raw BullMQ's commands per job;
//  - submits/s with 32 concurrent clients to one API process and its CPU per submit, against raw
//    queue.add in this process, and against a no-op node:http server with the same client (the ceiling);
//  - killed worker takeover: SIGKILL the worker holding a long job, time until the job starts
//    again on the other worker (default worker settings);
//  - backlog: with BENCH_BACKLOG jobs queued (no worker), GET /v1/jobs/{id} and a list page of
//    100, and Redis memory per queued job.
// Run: npx tsx --conditions=development bench/lifecycle.ts
//   BENCH_ONLY=overhead,commands,submit,takeover,backlog  BENCH_JOBS=50 BENCH_RAW_JOBS=200
//   BENCH_SUBMITS=2000 BENCH_SUBMIT_WARMUP=1000 BENCH_CONCURRENCY=32 BENCH_TAKEOVER_TRIALS=3 BENCH_BACKLOG=100000
//   BENCH_VERBOSE=1 (every job's overhead, sorted)
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { WorkerRegistry, farmKeys } from '@flowfarm/queue';
import { workerConfigSchema } from '@flowfarm/worker';
import { REPO_ROOT, startFarm, type Farm } from '../test/farm/support/farm.js';
import { startApiProcess, type ApiProcess } from '../test/farm/support/api-process.js';
import { countRedisCommands, totalCommands, type CommandCount } from '../test/farm/support/redis-commands.js';
import { startRedisServer } from '../test/farm/support/redis-servers.js';

const JOBS = Number(process.env.BENCH_JOBS ?? 50);
const RAW_JOBS = Number(process.env.BENCH_RAW_JOBS ?? 200);
const SUBMITS = Number(process.env.BENCH_SUBMITS ?? 2000);
const SUBMIT_WARMUP = Number(process.env.BENCH_SUBMIT_WARMUP ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const TAKEOVER_TRIALS = Number(process.env.BENCH_TAKEOVER_TRIALS ?? 3);
const BACKLOG = Number(process.env.BENCH_BACKLOG ?? 100_000);
const ONLY = (process.env.BENCH_ONLY ?? 'overhead,commands,submit,takeover,backlog').split(',');

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
const f1 = (x: number) => x.toFixed(1);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Each target once measured: what it says, the figure, the baseline, and whether it is met. */
const summary: Array<{ target: string; figure: string; baseline: string; met: boolean }> = [];

const redisServer = await startRedisServer();
// Interrupted: take the private redis-server down too (workers and API processes exit with us).
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void redisServer.close().finally(() => process.exit(130)));
const REDIS_URL = redisServer.url;
const redis = new Redis(REDIS_URL);

const countCommands = (during: () => Promise<void>) => countRedisCommands(REDIS_URL, during);
const total = totalCommands;

/** Per job: what `during` cost, less the farm's own background traffic at `idle` per second. */
function perJob(measured: CommandCount, idle: Map<string, number>, jobs: number): Map<string, number> {
  return new Map([...measured.calls].map(([k, v]) => [k, (v - (idle.get(k) ?? 0) * measured.seconds) / jobs] as const).filter(([, v]) => v >= 0.05));
}

/** Commands the farm sends on its own (heartbeats, stalled checks, blocking pops) per second. */
async function idleRate(seconds: number): Promise<Map<string, number>> {
  const { calls, seconds: actual } = await countCommands(async () => {
    await sleep(seconds * 1000);
  });
  return new Map([...calls].map(([k, v]) => [k, v / actual]));
}

/** A no-op BullMQ worker in its own process, as a farm worker is: the raw baseline. */
async function startRawWorker(queueName: string, prefix: string): Promise<ChildProcess> {
  const script = `
    import { Worker } from 'bullmq';
    const worker = new Worker(${JSON.stringify(queueName)}, async () => null, { connection: { host: '127.0.0.1', port: ${redisServer.port}, maxRetriesPerRequest: null }, prefix: ${JSON.stringify(prefix)} });
    worker.on('error', () => {});
    await worker.waitUntilReady();
    process.stdout.write('ready\\n');`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve()));
  return child;
}

async function rawBullmq(): Promise<{ p50: number; p99: number; commandsPerJob: number; byCommand: Map<string, number> }> {
  const prefix = `raw-${randomUUID()}`;
  const queue = new Queue('noop', { connection: new Redis(REDIS_URL, { maxRetriesPerRequest: null }), prefix });
  const events = new QueueEvents('noop', { connection: new Redis(REDIS_URL, { maxRetriesPerRequest: null }), prefix });
  const worker = await startRawWorker('noop', prefix);
  try {
    await events.waitUntilReady();
    const times: number[] = [];
    for (let i = 0; i < RAW_JOBS + 10; i++) {
      const t0 = performance.now();
      await (await queue.add('noop', { i })).waitUntilFinished(events, 30_000);
      if (i >= 10) times.push(performance.now() - t0);
    }
    const idle = await idleRate(3);
    const K = 50;
    const byCommand = perJob(
      await countCommands(async () => {
        for (let i = 0; i < K; i++) await (await queue.add('noop', { i })).waitUntilFinished(events, 30_000);
      }),
      idle,
      K,
    );
    return { p50: quantile(times, 0.5), p99: quantile(times, 0.99), commandsPerJob: total(byCommand), byCommand };
  } finally {
    worker.kill('SIGKILL');
    await Promise.all([queue.close(), events.close()]);
  }
}

type JobView = { id: string; status: string; created_at: string; started_at: string | null; finished_at: string | null; queue_position?: number | null; timings?: { render_ms?: number | null } };
const JOB = { prompt: 'a red circle on a blue background', width: 64, height: 64, steps: 4 };

async function overheadAndCommands(): Promise<void> {
  // No per-tenant cap or rate limit in the way of the bench's bursts.
  const farm = await startFarm({ redisUrl: REDIS_URL, workers: 1, workerEnv: { LOG_LEVEL: 'warn' }, apiEnv: { MAX_ACTIVE_JOBS_PER_TENANT: '100000', RATE_LIMIT_PER_MINUTE: '100000000' } });
  try {
    let renderSource = 'timings.render_ms';
    const overhead: number[] = [];
    const roundTrip: number[] = [];
    for (let i = 0; i < JOBS + 3; i++) {
      const t0 = performance.now();
      const res = await farm.call('POST', '/v1/jobs', { body: { ...JOB, seed: i }, headers: { Prefer: 'wait=60' } });
      const job = (await res.json()) as JobView;
      const elapsed = performance.now() - t0;
      if (job.status !== 'succeeded') throw new Error(`job ended ${job.status}`);
      if (i < 3) continue; // warm-up: first renders pay for lazy initialisation
      let render = job.timings?.render_ms;
      if (render === undefined || render === null) {
        renderSource = 'started_at→finished_at (the job view has no timings.render_ms; includes storing the image and the status writes)';
        render = Date.parse(job.finished_at!) - Date.parse(job.started_at!);
      }
      roundTrip.push(elapsed);
      overhead.push(elapsed - render);
    }
    const raw = await rawBullmq();
    const http = await noopHttpRoundTrip();
    const p50 = quantile(overhead, 0.5);
    const p99 = quantile(overhead, 0.99);
    if (ONLY.includes('overhead')) {
      console.log(`overhead per job, 64x64 4 steps, 1 worker, ${JOBS} jobs in sequence (render time from ${renderSource}):`);
      console.log(`  client round trip            p50 ${f1(quantile(roundTrip, 0.5))} ms  p99 ${f1(quantile(roundTrip, 0.99))} ms`);
      console.log(`  farm overhead (trip−render)  p50 ${f1(p50)} ms  p99 ${f1(p99)} ms`);
      console.log(`  raw BullMQ round trip        p50 ${f1(raw.p50)} ms  p99 ${f1(raw.p99)} ms  (${RAW_JOBS} no-op jobs, worker in its own process)`);
      console.log(`  no-op HTTP round trip        p50 ${f1(http.p50)} ms  p99 ${f1(http.p99)} ms  (the same client, node:http answering at once)`);
      console.log(`  overhead p50 / raw p50       ${(p50 / raw.p50).toFixed(2)}×  (floor for a farm behind HTTP: raw + no-op HTTP = ${f1(raw.p50 + http.p50)} ms = ${((raw.p50 + http.p50) / raw.p50).toFixed(2)}× raw)`);
      if (process.env.BENCH_VERBOSE) console.log(`  overheads (ms, sorted): ${[...overhead].sort((a, b) => a - b).map((x) => x.toFixed(1)).join(' ')}`);
      summary.push({ target: 'overhead p50 ≤ 5 ms and ≤ 1.5× raw BullMQ', figure: `${f1(p50)} ms = ${(p50 / raw.p50).toFixed(2)}×`, baseline: `raw BullMQ ${f1(raw.p50)} ms`, met: p50 <= 5 && p50 <= 1.5 * raw.p50 });
      summary.push({ target: 'overhead p99 ≤ 20 ms', figure: `${f1(p99)} ms`, baseline: `raw BullMQ p99 ${f1(raw.p99)} ms`, met: p99 <= 20 });
    }
    if (ONLY.includes('commands')) await commandsPerJob(farm, raw);
  } finally {
    await farm.close();
  }
}

async function commandsPerJob(farm: Farm, raw: { commandsPerJob: number; byCommand: Map<string, number> }): Promise<void> {
  const K = 30;
  const idle = await idleRate(5);
  const getJob = async (id: string) => (await (await farm.call('GET', `/v1/jobs/${id}`)).json()) as JobView;
  const ids: string[] = [];
  let polls = 0;
  const measured = await countCommands(async () => {
    for (let i = 0; i < K; i++) {
      const res = await farm.call('POST', '/v1/jobs', { body: { ...JOB, seed: 1000 + i } });
      if (res.status !== 202) throw new Error(`submit answered ${res.status}: ${await res.text()}`);
      ids.push(((await res.json()) as JobView).id);
    }
    for (;;) {
      polls++;
      const last = await getJob(ids.at(-1)!);
      if (['succeeded', 'failed', 'canceled'].includes(last.status)) break;
      await sleep(250);
    }
  });
  // What one GET of a finished job costs, to take the bench's own polling out.
  const gets = await countCommands(async () => {
    for (let i = 0; i < 20; i++) await getJob(ids[0]);
  });
  const perGet = total(perJob(gets, idle, 20));
  const byCommand = perJob(measured, idle, K);
  const commands = total(byCommand) - (polls * perGet) / K;
  for (const id of ids) {
    const { status } = await getJob(id);
    if (status !== 'succeeded') throw new Error(`job ${id} ended ${status}, not succeeded`);
  }
  const top = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([k, v]) => `${k} ${f1(v)}`).join(', ');
  console.log(`Redis commands per 4-step job without a webhook (${K} jobs; idle traffic ${f1(total(idle))}/s and ${polls} status polls × ${f1(perGet)} subtracted):`);
  console.log(`  farm        ${f1(commands)} per job: ${top(byCommand)} (each EVALSHA counts once)`);
  console.log(`  raw BullMQ  ${f1(raw.commandsPerJob)} per job (add + worker + QueueEvents): ${top(raw.byCommand)}`);
  summary.push({ target: 'Redis commands per 4-step job ≤ 12', figure: f1(commands), baseline: `raw BullMQ ${f1(raw.commandsPerJob)}`, met: commands <= 12 });
}

/** CPU time (user + system) a process has used, from /proc (Linux). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks of 10 ms
}

/** One API process (`flowfarm api`) on the bench Redis with no worker: a heartbeat announces the model. */
async function startBenchApi(): Promise<{ api: ApiProcess; close(): Promise<void> }> {
  const prefix = `ff-bench-${randomUUID()}`;
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ff-bench-'));
  const models = [{ name: 'tiny-shapes', variant: 'schnell', steps: { default: 4, min: 1, max: 50 }, resolution: { min: 32, max: 256, multiple: 16 }, default_size: { width: 64, height: 64 }, guidance: null, provider: 'cpu', latents: 'host' }];
  await new WorkerRegistry(redis, farmKeys(prefix)).beat({ id: 'bench', host: 'bench', pid: process.pid, models, concurrency: 1, busy: 0, current_jobs: [], started_at: new Date().toISOString(), draining: false } as never, 3_600_000);
  const api = await startApiProcess({ REDIS_URL, REDIS_PREFIX: prefix, DATA_DIR: dataDir, API_KEYS: 'bench-key:bench', MAX_ACTIVE_JOBS_PER_TENANT: '10000000', RATE_LIMIT_PER_MINUTE: '100000000' });
  return {
    api,
    async close() {
      await api.kill('SIGTERM');
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

const AUTH = { Authorization: 'Bearer bench-key', 'Content-Type': 'application/json' };
const SUBMIT_BODY = JSON.stringify({ prompt: 'a red circle on a blue background' });

/** Submits `count` jobs with `concurrency` clients; returns their ids and the seconds it took. */
async function submitMany(url: string, count: number, concurrency: number, ids: string[] = []): Promise<{ ids: string[]; seconds: number }> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < count) {
        const res = await fetch(`${url}/v1/jobs`, { method: 'POST', headers: AUTH, body: SUBMIT_BODY });
        if (res.status !== 202) throw new Error(`submit answered ${res.status}: ${await res.text()}`);
        ids.push(((await res.json()) as { id: string }).id);
      }
    }),
  );
  return { ids, seconds: (performance.now() - t0) / 1000 };
}

async function rawAddThroughput(): Promise<{ perSecond: number; cpuMsPerAdd: number }> {
  const queue = new Queue('noop', { connection: new Redis(REDIS_URL, { maxRetriesPerRequest: null }), prefix: `raw-${randomUUID()}` });
  try {
    for (let i = 0; i < 200; i++) await queue.add('noop', { prompt: 'warm-up' });
    let next = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < SUBMITS) await queue.add('render', { prompt: 'a red circle on a blue background' });
    }));
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return { perSecond: SUBMITS / seconds, cpuMsPerAdd: (cpu.user + cpu.system) / 1000 / SUBMITS };
  } finally {
    await queue.close();
  }
}

// A server that does nothing but parse the JSON body and answer 202: the ceiling the client and
// node:http set on this machine, whatever the API does.
const NOOP_HTTP_SERVER = `
const server = require('node:http').createServer((req, res) => {
  let body = '';
  req.on('data', (chunk) => (body += chunk));
  req.on('end', () => {
    const { prompt } = JSON.parse(body);
    res.writeHead(202, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: 'job_' + Math.random().toString(36).slice(2), status: 'queued', input: { prompt } }));
  });
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));`;

async function startNoopHttpServer(): Promise<{ url: string; pid: number; close(): void }> {
  const child = spawn(process.execPath, ['-e', NOOP_HTTP_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()));
    child.once('exit', (code) => reject(new Error(`no-op server exited ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, pid: child.pid!, close: () => child.kill() };
}

async function noopHttpThroughput(): Promise<{ perSecond: number; cpuMsPerRequest: number }> {
  const server = await startNoopHttpServer();
  try {
    await submitMany(server.url, SUBMIT_WARMUP, CONCURRENCY);
    const cpu0 = cpuMs(server.pid);
    const { seconds } = await submitMany(server.url, SUBMITS, CONCURRENCY);
    return { perSecond: SUBMITS / seconds, cpuMsPerRequest: (cpuMs(server.pid) - cpu0) / SUBMITS };
  } finally {
    server.close();
  }
}

/** One request at a time to the no-op server: what HTTP alone adds to a round trip here. */
async function noopHttpRoundTrip(): Promise<{ p50: number; p99: number }> {
  const server = await startNoopHttpServer();
  try {
    const times: number[] = [];
    for (let i = 0; i < RAW_JOBS + 10; i++) {
      const t0 = performance.now();
      const res = await fetch(`${server.url}/v1/jobs`, { method: 'POST', headers: { ...AUTH, Prefer: 'wait=60' }, body: SUBMIT_BODY });
      await res.json();
      if (i >= 10) times.push(performance.now() - t0);
    }
    return { p50: quantile(times, 0.5), p99: quantile(times, 0.99) };
  } finally {
    server.close();
  }
}

async function submitAndBacklog(): Promise<void> {
  const { api, close } = await startBenchApi();
  const pid = api.child().pid!;
  try {
    const ids: string[] = [];
    // warm-up: the API's code paths optimised by V8 (steady state, as the raw baseline's warm-up adds do for queue.add)
    await submitMany(api.url, SUBMIT_WARMUP, CONCURRENCY, ids);
    if (ONLY.includes('submit')) {
      const cpu0 = cpuMs(pid);
      const { seconds } = await submitMany(api.url, SUBMITS, CONCURRENCY, ids);
      const perSubmit = (cpuMs(pid) - cpu0) / SUBMITS;
      const farmRate = SUBMITS / seconds;
      const raw = await rawAddThroughput();
      const ceiling = await noopHttpThroughput();
      console.log(`submit throughput, one API process, ${CONCURRENCY} concurrent clients, ${SUBMITS} submits:`);
      console.log(`  farm        ${farmRate.toFixed(0)} submits/s, API CPU ${perSubmit.toFixed(2)} ms per submit`);
      console.log(`  raw BullMQ  ${raw.perSecond.toFixed(0)} queue.add/s, ${raw.cpuMsPerAdd.toFixed(3)} ms CPU per add (in this process)`);
      console.log(`  no-op HTTP  ${ceiling.perSecond.toFixed(0)} answers/s, server CPU ${ceiling.cpuMsPerRequest.toFixed(2)} ms per request (node:http parsing the body and answering 202, same client: what any HTTP API can reach here)`);
      console.log(`  farm / raw  ${(farmRate / raw.perSecond).toFixed(2)}×; no-op HTTP / raw ${(ceiling.perSecond / raw.perSecond).toFixed(2)}×; farm / no-op HTTP ${(farmRate / ceiling.perSecond).toFixed(2)}×`);
      summary.push({ target: 'submits/s (32 clients) ≥ 0.25× raw queue.add', figure: `${farmRate.toFixed(0)}/s = ${(farmRate / raw.perSecond).toFixed(2)}×`, baseline: `raw ${raw.perSecond.toFixed(0)}/s`, met: farmRate >= 0.25 * raw.perSecond });
      summary.push({ target: 'API CPU per submit ≤ 1 ms', figure: `${perSubmit.toFixed(2)} ms`, baseline: `raw add ${raw.cpuMsPerAdd.toFixed(3)} ms`, met: perSubmit <= 1 });
    }
    if (ONLY.includes('backlog')) await backlog(api.url, ids);
  } finally {
    await close();
  }
}

async function backlog(url: string, ids: string[]): Promise<void> {
  const memory = async () => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
  const before = await memory();
  const queuedBefore = ids.length;
  const { seconds } = await submitMany(url, BACKLOG - ids.length, CONCURRENCY, ids);
  const perJob = (await memory() - before) / (ids.length - queuedBefore);
  const get = async (route: string) => {
    const t0 = performance.now();
    const res = await fetch(`${url}${route}`, { headers: AUTH });
    const body = (await res.json()) as JobView & { data?: unknown[] };
    if (res.status !== 200) throw new Error(`${route} answered ${res.status}`);
    return { ms: performance.now() - t0, body };
  };
  const single: number[] = [];
  let withPosition = 0;
  for (let i = 0; i < 200; i++) {
    const { ms, body } = await get(`/v1/jobs/${ids[Math.floor(Math.random() * ids.length)]}`);
    single.push(ms);
    if (typeof body.queue_position === 'number') withPosition++;
  }
  const pages: number[] = [];
  for (let i = 0; i < 30; i++) {
    const { ms, body } = await get('/v1/jobs?limit=100');
    if (body.data?.length !== 100) throw new Error('a list page without 100 jobs');
    pages.push(ms);
  }
  console.log(`backlog: ${ids.length} jobs queued (filled through the API at ${((ids.length - queuedBefore) / seconds).toFixed(0)}/s), no worker:`);
  console.log(`  GET /v1/jobs/{id}        p50 ${f1(quantile(single, 0.5))} ms  p99 ${f1(quantile(single, 0.99))} ms  (queue_position given in ${withPosition} of 200 random jobs)`);
  console.log(`  GET /v1/jobs?limit=100   p50 ${f1(quantile(pages, 0.5))} ms  p99 ${f1(quantile(pages, 0.99))} ms`);
  console.log(`  Redis memory per queued job ${(perJob / 1024).toFixed(2)} KB`);
  summary.push({ target: `GET job with position, ${ids.length} queued ≤ 5 ms`, figure: `p50 ${f1(quantile(single, 0.5))} ms (position in ${withPosition}/200)`, baseline: '—', met: quantile(single, 0.5) <= 5 && withPosition === 200 });
  summary.push({ target: `list page of 100, ${ids.length} queued ≤ 20 ms`, figure: `p50 ${f1(quantile(pages, 0.5))} ms`, baseline: '—', met: quantile(pages, 0.5) <= 20 });
  summary.push({ target: 'Redis memory per queued job ≤ 2 KB', figure: `${(perJob / 1024).toFixed(2)} KB`, baseline: '—', met: perJob <= 2048 });
}

/** Resolves with the time the `count`-th job.started event of a job arrives on its SSE stream. */
function nthStart(farm: Farm, jobId: string, count: number): { at: Promise<number>; close(): void } {
  const controller = new AbortController();
  const at = (async () => {
    const res = await fetch(`${farm.url}/v1/jobs/${jobId}/events`, { headers: { Authorization: 'Bearer key-acme' }, signal: controller.signal });
    let seen = 0;
    let buffer = '';
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      const blocks = buffer.split('\n\n');
      buffer = blocks.pop()!;
      for (const block of blocks) if (/^event: job\.started$/m.test(block) && ++seen === count) return performance.now();
    }
    throw new Error(`the events of ${jobId} ended before start ${count}`);
  })();
  return { at, close: () => controller.abort() };
}

async function takeover(): Promise<void> {
  // The worker's own defaults for everything that decides how fast a dead worker's job moves
  // (startFarm shortens the heartbeat for its tests).
  const defaults = workerConfigSchema.parse({}) as Record<string, unknown>;
  const workerEnv = Object.fromEntries(Object.keys(defaults).filter((k) => /HEARTBEAT|LOCK|STALLED|TAKEOVER/.test(k)).map((k) => [k, String(defaults[k])]));
  const farm = await startFarm({ redisUrl: REDIS_URL, workers: 2, maxSteps: 400, workerEnv: { ...workerEnv, LOG_LEVEL: 'warn' } });
  const times: number[] = [];
  try {
    for (let trial = 0; trial < TAKEOVER_TRIALS; trial++) {
      const job = (await (await farm.call('POST', '/v1/jobs', { body: { prompt: 'a slow big circle', width: 256, height: 256, steps: 400, num_images: 4 } })).json()) as JobView;
      await farm.waitForJob(job.id, (j) => (j as unknown as { progress: { step: number } }).progress.step >= 2);
      const started = nthStart(farm, job.id, 2);
      const holder = await farm.holderOf(job.id, 60_000);
      const t0 = performance.now();
      holder.child.kill('SIGKILL');
      await holder.exited;
      try {
        times.push((await started.at) - t0);
      } finally {
        started.close();
      }
      await farm.call('POST', `/v1/jobs/${job.id}/cancel`);
      await farm.waitForJob(job.id, (j) => ['canceled', 'succeeded', 'failed'].includes(j.status));
      await farm.startWorker({ ...workerEnv, LOG_LEVEL: 'warn' });
    }
  } finally {
    await farm.close();
  }
  const p50 = quantile(times, 0.5);
  console.log(`killed worker takeover (SIGKILL the holder of a long job; 2 workers; ${Object.entries(workerEnv).map(([k, v]) => `${k}=${v}`).join(' ')}):`);
  console.log(`  until the job starts on the other worker: ${times.map((t) => `${f1(t / 1000)} s`).join(', ')}  → p50 ${f1(p50 / 1000)} s`);
  summary.push({ target: 'killed worker takeover p50 ≤ 10 s', figure: `${f1(p50 / 1000)} s (${times.length} trials)`, baseline: 'BullMQ lock + stalled check', met: p50 <= 10_000 });
}

console.log(`machine: ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)} (other work on the machine shows in these numbers); private redis-server on ${REDIS_URL}`);
try {
  if (ONLY.includes('overhead') || ONLY.includes('commands')) await overheadAndCommands();
  if (ONLY.includes('submit') || ONLY.includes('backlog')) await submitAndBacklog();
  if (ONLY.includes('takeover')) await takeover();
  console.log('\nissue 11 lifecycle targets (this run):');
  for (const s of summary) console.log(`  ${s.met ? 'met    ' : 'NOT met'}  ${s.target.padEnd(46)} ${s.figure.padEnd(28)} baseline: ${s.baseline}`);
  console.log('  (the other targets of issue 11: WORKERS=2 vs 1 in bench/workers.ts; ms per image, time inside onnxruntime and batch gain in bench/pipeline.ts)');
} finally {
  redis.disconnect();
  await redisServer.close();
}
process.exit(0);
