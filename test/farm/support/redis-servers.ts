// Private redis-server processes for tests and benches that must not share 127.0.0.1:6379:
// one with AOF that a test can kill and restart (its data survives), or a local 3-primary
// Redis Cluster. Each lives in its own temp folder on free loopback ports.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { redisServerArgs } from '@flowfarm/queue';
import { freePort } from '../../support/free-port.js';


function redisCli(port: number, ...args: string[]): string {
  const r = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8', timeout: 60_000 });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`;
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface RedisServer {
  url: string;
  port: number;
  dir: string;
  /** Kills the server (SIGKILL by default: no shutdown save, only what AOF already has). */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and folder (AOF is replayed). */
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A redis-server of its own. `aof` turns on `appendonly yes` with `appendfsync always`, so a
 * SIGKILL loses no acknowledged write: what a durable production Redis promises.
 */
export async function startRedisServer(options: { aof?: boolean; args?: string[] } = {}): Promise<RedisServer> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ff-redis-'));
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--daemonize', 'no', '--logfile', path.join(dir, 'redis.log'), ...redisServerArgs()];
  args.push(...(options.aof ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']), ...(options.args ?? []));
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const server: RedisServer = {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    async start() {
      child = spawn('redis-server', args, { stdio: 'ignore' });
      const proc = child;
      exited = new Promise((resolve) => proc.once('exit', () => resolve()));
      await waitFor(() => redisCli(port, 'ping').includes('PONG') && !redisCli(port, 'info', 'persistence').includes('loading:1'), `redis-server on ${port}`);
    },
    async kill(signal = 'SIGKILL') {
      if (child && child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
    async close() {
      await server.kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}

export interface RedisCluster {
  /** `redis+cluster://127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3`: what REDIS_URL takes. */
  url: string;
  ports: number[];
  close(): Promise<void>;
}

/** A local Redis Cluster of `primaries` primaries without replicas, ready (cluster_state:ok). */
export async function startRedisCluster(primaries = 3): Promise<RedisCluster> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ff-cluster-'));
  const ports: number[] = [];
  const children: ChildProcess[] = [];
  const exits: Array<Promise<void>> = [];
  try {
    for (let i = 0; i < primaries; i++) {
      const port = await freePort();
      ports.push(port);
      const child = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', path.join(dir, `nodes-${port}.conf`), '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--logfile', path.join(dir, `redis-${port}.log`)],
        { stdio: 'ignore' },
      );
      children.push(child);
      exits.push(new Promise((resolve) => child.once('exit', () => resolve())));
      await waitFor(() => redisCli(port, 'ping').includes('PONG'), `cluster node on ${port}`);
    }
    const created = spawnSync('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8', timeout: 60_000 });
    if (created.status !== 0) throw new Error(`redis-cli --cluster create failed:\n${created.stdout}${created.stderr}`);
    for (const port of ports) await waitFor(() => redisCli(port, 'cluster', 'info').includes('cluster_state:ok'), `cluster_state:ok on ${port}`, 60_000);
  } catch (err) {
    for (const child of children) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url: `redis+cluster://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`,
    ports,
    async close() {
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await Promise.all(exits);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
