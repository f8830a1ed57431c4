import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { isRedisClusterUrl } from '@flowfarm/contracts';

/**
 * A Redis connection usable by BullMQ (which needs `maxRetriesPerRequest: null` for its
 * blocking commands) and by the farm's own commands. The caller attaches an `error` listener
 * through `onError`, so a Redis outage is logged instead of crashing the process.
 *
 * `redis+cluster://[user:password@]host:port,host:port` (or `rediss+cluster://` for TLS)
 * connects to a Redis Cluster through the listed seed nodes instead. The farm then needs every
 * key under one hash-tagged prefix (see `clusterSafePrefix`): its scripts and transactions
 * touch several keys at once, which a cluster only allows within one hash slot.
 */
export function createRedisConnection(url: string, options: { name: string; onError?: (err: Error) => void } & RedisOptions): Redis {
  const { name, onError, ...rest } = options;
  const redis = isRedisClusterUrl(url) ? createClusterConnection(url, name, rest) : new Redis(url, { maxRetriesPerRequest: null, connectionName: name, ...rest });
  redis.on('error', (err: Error) => onError?.(err));
  return redis;
}

/** Seed nodes and node options from a `redis+cluster://` / `rediss+cluster://` URL. */
export function parseRedisClusterUrl(url: string): { nodes: Array<{ host: string; port: number }>; username?: string; password?: string; tls: boolean } {
  const match = /^(rediss?)\+cluster:\/\/(?:([^@/]*)@)?([^/?#]+)\/?$/.exec(url);
  if (!match) throw new Error(`invalid Redis Cluster URL "${url}": expected redis+cluster://[user:password@]host:port,host:port`);
  const [, scheme, auth, hosts] = match;
  const nodes = hosts.split(',').map((hostPort) => {
    const at = hostPort.lastIndexOf(':');
    const host = at > 0 ? hostPort.slice(0, at).replace(/^\[|\]$/g, '') : hostPort;
    const port = at > 0 ? Number(hostPort.slice(at + 1)) : 6379;
    if (!host || !Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`invalid Redis Cluster node "${hostPort}" in REDIS_URL`);
    return { host, port };
  });
  let username: string | undefined;
  let password: string | undefined;
  if (auth !== undefined) {
    const colon = auth.indexOf(':');
    username = colon >= 0 ? decodeURIComponent(auth.slice(0, colon)) || undefined : undefined;
    password = decodeURIComponent(colon >= 0 ? auth.slice(colon + 1) : auth) || undefined;
  }
  return { nodes, username, password, tls: scheme === 'rediss' };
}

/**
 * An ioredis Cluster, typed as the `Redis` every farm module takes: Cluster implements the same
 * command interface (commands, pipelines, MULTI, scripts, pub/sub, duplicate), and BullMQ
 * accepts it as a connection. Commands without keys (SCAN, INFO, PING) go to one node, so the
 * farm never lists keys with SCAN.
 */
function createClusterConnection(url: string, name: string, options: RedisOptions): Redis {
  const { nodes, username, password, tls } = parseRedisClusterUrl(url);
  const { lazyConnect, retryStrategy, enableAutoPipelining, ...nodeOptions } = options;
  const cluster = new Cluster(nodes, {
    lazyConnect,
    enableAutoPipelining,
    clusterRetryStrategy: retryStrategy,
    // Keep host names as given: ioredis would resolve them to IPs, and a managed cluster's TLS
    // certificate names hosts, not addresses.
    ...(tls ? { dnsLookup: (address: string, callback: (err: null, address: string) => void) => callback(null, address) } : {}),
    redisOptions: { maxRetriesPerRequest: null, connectionName: name, username, password, ...(tls ? { tls: {} } : {}), ...nodeOptions },
  });
  return cluster as unknown as Redis;
}

/** Resolves when Redis answers PING within `timeoutMs`, rejects otherwise. */
export async function pingRedis(redis: Redis, timeoutMs = 2000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Redis did not answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
