// `flowfarm up` (what `npm start` runs): a whole farm on one machine — an API process and
// WORKERS worker processes (their apps' entries, started as app-process.ts does), local-disk storage under DATA_DIR, and Redis from REDIS_URL (or a
// private redis-server when nothing answers and one is installed). Creates and prints a local
// API key when none is configured. SIGINT/SIGTERM: workers drain, then everything stops.
import { checkNoArguments } from '../no-argument-command.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { envPath, farmEnvSchema, isRedisClusterUrl, withClusterSafePrefix } from '@flowfarm/contracts';
import { WorkerRegistry, createRedisConnection, farmKeys, redisServerArgs } from '@flowfarm/queue';
import { z } from 'zod';
import { spawnApp } from '../app-process.js';

/** `up`'s own settings; everything else in the environment passes through to the api and workers. */
const UpEnv = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  WORKERS: z.coerce.number().int().min(0).max(64).default(1),
  DATA_DIR: envPath('./.data'),
  REDIS_URL: z.string().optional(),
  MODELS_DIR: envPath('./models'),
  API_KEYS: z.string().optional(),
  ADMIN_API_KEY: z.string().optional(),
  PUBLIC_URL: z.string().optional(),
  METRICS_PORT: z.coerce.number().int().min(0).default(9464),
});

const USAGE = `usage: flowfarm up

Starts the API on PORT (8080) with WORKERS (1) worker processes and local storage in DATA_DIR
(./.data). Redis: REDIS_URL (redis://127.0.0.1:6379); if nothing answers and redis-server is
installed, a private one is started with its data in DATA_DIR/redis.
`;

const say = (line: string) => process.stdout.write(`flowfarm: ${line}\n`);

async function redisAnswers(url: string): Promise<boolean> {
  const redis = createRedisConnection(url, { name: 'flowfarm-up', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1500 });
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A redis-server of our own: loopback only, AOF on, data under DATA_DIR/redis. */
async function startPrivateRedis(dataDir: string): Promise<{ url: string; child: ChildProcess }> {
  const dir = path.resolve(dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const binary = (process.env.PATH ?? '').split(path.delimiter).map((d) => path.join(d, 'redis-server')).find((f) => existsSync(f))!;
  const child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', '', '--daemonize', 'no', '--logfile', path.join(dir, 'redis.log'), ...redisServerArgs()], {
    stdio: 'ignore',
  });
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) break;
    if (await redisAnswers(url)) return { url, child };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`the private redis-server did not start (see ${path.join(dir, 'redis.log')})`);
}

/** A secret kept in DATA_DIR/<name>, created on first use. */
function persistedSecret(dataDir: string, name: string, make: () => string): { value: string; file: string; created: boolean } {
  const file = path.resolve(dataDir, name);
  if (existsSync(file)) return { value: readFileSync(file, 'utf8').trim(), file, created: false };
  mkdirSync(path.dirname(file), { recursive: true });
  const value = make();
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  return { value, file, created: true };
}

function hasModels(dir: string): boolean {
  try {
    return readdirSync(dir).some((name) => existsSync(path.join(dir, name, 'model.json')));
  } catch {
    return false;
  }
}

const onPath = (command: string) => (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir && existsSync(path.join(dir, command)));

export async function run(argv: string[]): Promise<number> {
  const stop = checkNoArguments(argv, USAGE);
  if (stop !== undefined) return stop;
  const parsed = UpEnv.safeParse(process.env);
  if (!parsed.success) {
    process.stderr.write(`flowfarm up: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}\n`);
    return 2;
  }
  const cfg = parsed.data;
  if (cfg.WORKERS > 0 && !hasModels(cfg.MODELS_DIR)) {
    process.stderr.write(`flowfarm up: no model in ${cfg.MODELS_DIR} (each model is a folder with model.json); set MODELS_DIR\n`);
    return 1;
  }

  // Redis: the configured one; if a local one does not answer, a private one; else a clear message.
  let redisUrl = cfg.REDIS_URL ?? 'redis://127.0.0.1:6379';
  let privateRedis: ChildProcess | null = null;
  if (!(await redisAnswers(redisUrl))) {
    const installed = onPath('redis-server');
    const local = !isRedisClusterUrl(redisUrl) && ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(redisUrl).hostname);
    if (!local || !installed) {
      process.stderr.write(
        `flowfarm up: Redis does not answer at ${redisUrl}.\n` +
          (installed ? '' : 'Install Redis (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis) and run npm start again, ') +
          'or set REDIS_URL to a reachable Redis.\n',
      );
      return 1;
    }
    const started = await startPrivateRedis(cfg.DATA_DIR);
    say(`nothing answered at ${redisUrl}: started a private redis-server at ${started.url} (AOF on, data in ${path.join(cfg.DATA_DIR, 'redis')})`);
    redisUrl = started.url;
    privateRedis = started.child;
  }

  const local = cfg.API_KEYS ? null : persistedSecret(cfg.DATA_DIR, 'api-key', () => `ff_local_${randomBytes(18).toString('base64url')}`);
  const admin = cfg.ADMIN_API_KEY ? null : persistedSecret(cfg.DATA_DIR, 'admin-key', () => `ff_admin_${randomBytes(18).toString('base64url')}`);
  const publicUrl = cfg.PUBLIC_URL ?? `http://localhost:${cfg.PORT}`;
  const env: Record<string, string | undefined> = {
    ...process.env,
    REDIS_URL: redisUrl,
    DATA_DIR: cfg.DATA_DIR,
    MODELS_DIR: cfg.MODELS_DIR,
    PUBLIC_URL: publicUrl,
    API_KEYS: cfg.API_KEYS ?? `${local!.value}:local`,
    ADMIN_API_KEY: cfg.ADMIN_API_KEY ?? admin!.value,
  };
  // One signing secret for the api and every worker (local file URLs).
  env.FILES_SIGNING_SECRET ??= persistedSecret(cfg.DATA_DIR, 'files-signing-secret', () => randomBytes(32).toString('base64url')).value;

  // The API process; up ends when it does (it only stops on its own when something is wrong).
  let stopping = false;
  const api = spawnApp('api', { env: { ...env, PORT: String(cfg.PORT), EXIT_WITH_PARENT: 'true' }, stdio: 'inherit' });
  const apiExited = new Promise<number>((resolve) => api.once('exit', (code, signal) => resolve(code ?? (signal === 'SIGINT' ? 130 : 143))));
  const host = !env.HOST || env.HOST === '0.0.0.0' || env.HOST === '::' ? '127.0.0.1' : env.HOST;
  const apiUrl = `http://${host.includes(':') ? `[${host}]` : host}:${cfg.PORT}`;
  for (;;) {
    if (api.exitCode !== null || api.signalCode !== null) {
      privateRedis?.kill('SIGTERM');
      process.stderr.write('flowfarm up: the API process stopped during start-up (its output above says why)\n');
      return 1;
    }
    if (await fetch(`${apiUrl}/healthz`).then((r) => r.ok, () => false)) break;
    await new Promise((r) => setTimeout(r, 200));
  }

  // The workers' heartbeats, read as the API reads them (same Redis, same key prefix).
  const { REDIS_PREFIX } = withClusterSafePrefix(farmEnvSchema.pick({ REDIS_URL: true, REDIS_PREFIX: true }).parse(env));
  const redis = createRedisConnection(redisUrl, { name: 'flowfarm-up' });
  const registry = new WorkerRegistry(redis, farmKeys(REDIS_PREFIX));

  const workers = new Set<ChildProcess>();
  const spawnWorker = (index: number) => {
    const child = spawnApp('worker', {
      // WORKERS_PER_HOST: the workers share this machine's cores (their automatic onnxruntime thread count)
      env: { ...env, EXIT_WITH_PARENT: 'true', METRICS_PORT: String(cfg.METRICS_PORT === 0 ? 0 : cfg.METRICS_PORT + index), WORKERS_PER_HOST: env.WORKERS_PER_HOST ?? String(cfg.WORKERS) },
      stdio: 'inherit',
    });
    workers.add(child);
    child.once('exit', (code, signal) => {
      workers.delete(child);
      if (stopping) return;
      say(`worker ${index} exited (${signal ?? code}); starting it again`);
      setTimeout(() => !stopping && spawnWorker(index), 1000);
    });
  };
  for (let i = 0; i < cfg.WORKERS; i++) spawnWorker(i);
  if (cfg.WORKERS > 0) {
    say(`api listening on port ${cfg.PORT}; waiting for ${cfg.WORKERS} worker(s) to load their models…`);
    const deadline = Date.now() + 180_000;
    while ((await registry.liveWorkers().catch(() => [])).length < cfg.WORKERS && Date.now() < deadline && api.exitCode === null) {
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  const key = local?.value ?? '(one of your API_KEYS)';
  say(`farm is up at ${publicUrl} with ${cfg.WORKERS} worker process(es), local storage in ${cfg.DATA_DIR}`);
  if (local) say(`API key: ${local.value}   (tenant "local"; kept in ${local.file})`);
  if (admin) say(`admin key for /ops and \`flowfarm keys\`: ${admin.value}   (kept in ${admin.file})`);
  say('try:');
  process.stdout.write(
    `  curl -s -X POST ${publicUrl}/v1/jobs -H "Authorization: Bearer ${key}" -H "Content-Type: application/json" \\\n` +
      `       -H "Prefer: wait=60" -d '{"prompt": "a large red circle in the center on a blue background"}'\n`,
  );

  return new Promise((resolve) => {
    const stop = async (signal: NodeJS.Signals | 'api-exit') => {
      if (stopping) {
        for (const w of workers) w.kill('SIGKILL');
        api.kill('SIGKILL');
        privateRedis?.kill('SIGKILL');
        process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
      }
      stopping = true;
      if (signal === 'api-exit') say('the API process stopped: stopping the workers');
      else say(`${signal}: stopping (workers finish their current jobs; ${signal} again to force)`);
      const exits = [...workers].map((w) => new Promise((r) => w.once('exit', r)));
      for (const w of workers) w.kill('SIGTERM');
      await Promise.all(exits);
      if (api.exitCode === null && api.signalCode === null) api.kill('SIGTERM');
      const apiCode = await apiExited;
      redis.disconnect();
      if (privateRedis) {
        const exited = new Promise((r) => privateRedis!.once('exit', r));
        privateRedis.kill('SIGTERM');
        await exited;
      }
      say('stopped');
      resolve(signal === 'api-exit' ? apiCode || 1 : 0);
    };
    process.on('SIGINT', (s) => void stop(s));
    process.on('SIGTERM', (s) => void stop(s));
    void apiExited.then(() => {
      if (!stopping) void stop('api-exit');
    });
  });
}
