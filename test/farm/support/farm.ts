// A real farm for end-to-end tests: the API in this process (listening on a random port) and
// worker processes (the worker app's entry, as `flowfarm worker` starts it), all on their own Redis key
// prefix and data folder. Storage is local disk or s3rver on loopback.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Cluster, Redis } from 'ioredis';
import pino from 'pino';
import { startApi, type BuildApiOptions, type RunningApi } from '@flowfarm/api';
import { progressSteps as pipelineProgressSteps, readManifest } from '@flowfarm/pipeline';
import { clusterSafePrefix } from '@flowfarm/contracts';
import { WorkerRegistry, createRedisConnection, farmKeys } from '@flowfarm/queue';
import { startS3TestServer, type S3TestServer } from '../../../packages/storage/src/testing/s3-test-server.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The shipped model: 256x256 with 50 steps takes well under a second on a quiet CPU. */
export const MODEL = 'tiny-shapes';
export const MODELS_DIR = path.join(REPO_ROOT, 'models');

/**
 * How many progress steps a text-to-image job of the shipped model reports: its steps, and for a
 * size its manifest renders in two passes (`highResolution`, docs/creative-controls.md) also the
 * refining pass's steps — the pipeline's own count.
 */
export function progressSteps(steps: number, width: number, height: number): number {
  return pipelineProgressSteps(readManifest(path.join(MODELS_DIR, MODEL)), { steps, width, height });
}

/**
 * Tests that must act on a job while it renders (cancel, SIGKILL, SIGTERM, lock renewal) need
 * jobs that take seconds on any machine; the shipped manifest caps steps at 50. This makes a
 * models folder whose tiny-shapes links the shipped files and only raises that cap.
 */
async function longJobModels(root: string, maxSteps: number): Promise<string> {
  const source = path.join(MODELS_DIR, MODEL);
  const target = path.join(root, 'models', MODEL);
  await mkdir(target, { recursive: true });
  for (const file of await readdir(source)) {
    if (file !== 'model.json') await symlink(path.join(source, file), path.join(target, file));
  }
  const manifest = JSON.parse(await readFile(path.join(source, 'model.json'), 'utf8'));
  manifest.steps.max = maxSteps;
  await writeFile(path.join(target, 'model.json'), JSON.stringify(manifest, null, 2));
  return path.dirname(target);
}

export interface WorkerProcess {
  id: string;
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

export interface Farm {
  prefix: string;
  url: string;
  /** The environment every process of this farm shares (Redis, prefix, storage, signing secret). */
  env: Record<string, string>;
  api: RunningApi;
  redis: Redis;
  workers: WorkerProcess[];
  s3?: S3TestServer;
  startWorker(env?: Record<string, string>): Promise<WorkerProcess>;
  /** The worker whose heartbeat says it is running this job (waits for the next beat). */
  holderOf(jobId: string, timeoutMs?: number): Promise<WorkerProcess>;
  /** fetch against the API with a tenant key (default tenant acme). */
  call(method: string, route: string, options?: { key?: string; body?: unknown; headers?: Record<string, string> }): Promise<Response>;
  waitForJob(id: string, until: (job: { status: string }) => boolean, timeoutMs?: number): Promise<Record<string, unknown> & { status: string }>;
  close(): Promise<void>;
}

export const KEYS = { acme: 'key-acme', globex: 'key-globex', admin: 'key-admin' };

export interface FarmOptions {
  storage?: 'local' | 's3';
  workers?: number;
  apiEnv?: Record<string, string>;
  workerEnv?: Record<string, string>;
  /** Serve tiny-shapes with this steps cap instead of the shipped 50 (for long jobs). */
  maxSteps?: number;
  /** Redis the farm runs on (default the shared 127.0.0.1:6379); a redis+cluster:// URL for a Cluster. */
  redisUrl?: string;
  /** Extra routers / notifier for the in-process API (e.g. the web UI for the browser tests). */
  apiOptions?: Omit<BuildApiOptions, 'logger'>;
}

export async function startFarm(options: FarmOptions = {}): Promise<Farm> {
  const redisUrl = options.redisUrl ?? 'redis://127.0.0.1:6379';
  // What the farm's processes make of REDIS_PREFIX on this Redis (hash-tagged on a Cluster).
  const prefix = clusterSafePrefix(redisUrl, `ff-test-${randomUUID()}`);
  const dataDir = await mkdtemp(path.join(tmpdir(), 'ff-farm-'));
  const s3 = options.storage === 's3' ? await startS3TestServer() : undefined;
  const modelsDir = options.maxSteps ? await longJobModels(dataDir, options.maxSteps) : MODELS_DIR;
  const shared: Record<string, string> = {
    REDIS_URL: redisUrl,
    REDIS_PREFIX: prefix,
    DATA_DIR: dataDir,
    FILES_SIGNING_SECRET: `secret-${randomUUID()}`,
    LOG_LEVEL: 'warn',
    ...(s3
      ? {
          STORAGE: 's3',
          S3_BUCKET: s3.storageOptions.bucket,
          S3_ENDPOINT: s3.endpoint,
          S3_REGION: 'us-east-1',
          S3_FORCE_PATH_STYLE: 'true',
          S3_ACCESS_KEY_ID: 'S3RVER',
          S3_SECRET_ACCESS_KEY: 'S3RVER',
        }
      : { STORAGE: 'local' }),
  };
  const api = await startApi(
    {
      ...shared,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      API_KEYS: `${KEYS.acme}:acme,${KEYS.globex}:globex`,
      ADMIN_API_KEY: KEYS.admin,
      SSE_HEARTBEAT_SECONDS: '1',
      ...options.apiEnv,
    },
    { logger: pino({ level: 'silent' }), ...options.apiOptions },
  );
  const redis = createRedisConnection(redisUrl, { name: 'farm-test' });
  const registry = new WorkerRegistry(redis, farmKeys(prefix));
  const workers: WorkerProcess[] = [];

  async function startWorker(env: Record<string, string> = {}): Promise<WorkerProcess> {
    const id = `w-${workers.length}-${randomUUID().slice(0, 6)}`;
    // The worker app's entry under `node --import tsx`, in this one process (tsx's own CLI, or
    // `flowfarm worker`, would put a launcher in between, and SIGKILL must hit the worker itself).
    const child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', path.join(REPO_ROOT, 'apps/worker/src/main.ts')], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH,
        ...shared,
        PUBLIC_URL: api.url,
        WORKER_ID: id,
        MODELS_DIR: modelsDir,
        MODELS: MODEL,
        METRICS_PORT: '0',
        METRICS_HOST: '127.0.0.1',
        HEARTBEAT_INTERVAL_MS: '500',
        HEARTBEAT_TTL_MS: '3000',
        OMP_NUM_THREADS: '1',
        EXIT_WITH_PARENT: 'true',
        INTRA_OP_THREADS: '1',
        // The shipped model's output check is a stand-in classifier ("no red triangles") with
        // about 1 % false positives; tests of other features turn it off, its own tests turn it on.
        OUTPUT_MODERATION: 'false',
        ...options.workerEnv,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    const worker: WorkerProcess = { id, child, exited, output: () => output };
    workers.push(worker);
    const deadline = Date.now() + 180_000;
    while (!(await registry.liveWorkers()).some((w) => w.id === id)) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`worker ${id} did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return worker;
  }

  for (let i = 0; i < (options.workers ?? 1); i++) await startWorker();

  const call: Farm['call'] = (method, route, opts = {}) =>
    fetch(`${api.url}${route}`, {
      method,
      headers: {
        Authorization: `Bearer ${opts.key ?? KEYS.acme}`,
        ...(opts.body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...opts.headers,
      },
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });

  const waitForJob: Farm['waitForJob'] = async (id, until, timeoutMs = 180_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const job = (await (await call('GET', `/v1/jobs/${id}`)).json()) as Record<string, unknown> & { status: string };
      if (until(job)) return job;
      if (Date.now() > deadline) throw new Error(`job ${id} still ${job.status}: ${JSON.stringify(job)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  const holderOf: Farm['holderOf'] = async (jobId, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const live = await registry.liveWorkers();
      const holder = live.find((w) => w.current_jobs.includes(jobId));
      const proc = holder && workers.find((w) => w.id === holder.id);
      if (proc) return proc;
      if (Date.now() > deadline) throw new Error(`no worker reports job ${jobId}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  return {
    prefix,
    url: api.url,
    env: shared,
    api,
    redis,
    workers,
    s3,
    startWorker,
    holderOf,
    call,
    waitForJob,
    async close() {
      for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
      await Promise.all(workers.map((w) => w.exited));
      await api.close();
      await deleteKeys(redis, `${prefix}*`);
      redis.disconnect();
      await s3?.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Deletes every key matching `pattern` (a test farm's prefix) with SCAN, never KEYS. On a
 * Cluster SCAN walks one node, so each primary is scanned and its keys deleted one by one.
 */
export async function deleteKeys(redis: Redis, pattern: string): Promise<void> {
  const cluster = redis as unknown as Cluster;
  const nodes: Redis[] = cluster.isCluster ? cluster.nodes('master') : [redis];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      if (keys.length) await Promise.all(keys.map((key) => node.unlink(key)));
    } while (cursor !== '0');
  }
}

/** Reads an SSE stream until it ends (or `stopAfter` events), returning the events with their ids. */
export async function readEvents(farm: Farm, jobId: string, options: { lastEventId?: string; stopAfter?: number } = {}) {
  const controller = new AbortController();
  const res = await fetch(`${farm.url}/v1/jobs/${jobId}/events`, {
    headers: { Authorization: `Bearer ${KEYS.acme}`, ...(options.lastEventId ? { 'Last-Event-ID': options.lastEventId } : {}) },
    signal: controller.signal,
  });
  const events: Array<{ id: string; type: string; data: Record<string, unknown> }> = [];
  let comments = 0;
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (block.startsWith(':')) comments++;
        const fields = Object.fromEntries(block.split('\n').filter((l) => !l.startsWith(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trimStart()]));
        if (fields.event) events.push({ id: fields.id, type: fields.event, data: JSON.parse(fields.data) as Record<string, unknown> });
      }
      if (options.stopAfter && events.length >= options.stopAfter) {
        controller.abort();
        break;
      }
    }
  } catch (err) {
    if (!controller.signal.aborted) throw err;
  }
  return { status: res.status, contentType: res.headers.get('content-type'), events, comments };
}
