// `flowfarm webhooks`: a process that only delivers webhooks (the BullMQ worker on queue
// `webhooks`), for setups that run it apart from the API (then set WEBHOOK_DELIVERY=false on
// the API processes). Any number can run; each delivery is processed by one of them.
// SIGTERM/SIGINT: finish the attempts in flight and exit 128+signal; a second signal exits now.
import { checkNoArguments } from '../no-argument-command.js';
import { constants } from 'node:os';
import pino from 'pino';
import { startMetricsServer } from '@flowfarm/metrics';
import { createRedisConnection, pingRedis } from '@flowfarm/queue';
import { deliveryOptionsFrom, startWebhookDeliveryWorker } from '@flowfarm/webhooks';
import { loadWebhooksProcessConfig } from '../webhooks-config.js';

const USAGE = `usage: flowfarm webhooks

Runs a webhook delivery process. Settings come from the environment:
  REDIS_URL, REDIS_PREFIX, LOG_LEVEL, WEBHOOK_TIMEOUT_MS, WEBHOOK_RETRY_SCALE,
  WEBHOOK_ALLOW_PRIVATE, WEBHOOK_CONCURRENCY, METRICS_PORT (9465), METRICS_HOST
Serves /healthz, /readyz and /metrics (delivery counts and durations) on METRICS_PORT.
`;

/** Longest wait for in-flight attempts on shutdown (under Kubernetes' 30 s grace period). */
const DRAIN_DEADLINE_MS = 25_000;

export async function run(argv: string[]): Promise<number> {
  const stop = checkNoArguments(argv, USAGE);
  if (stop !== undefined) return stop;
  const config = loadWebhooksProcessConfig();
  const log = pino({ level: config.LOG_LEVEL, name: 'flowfarm-webhooks' });
  const redis = createRedisConnection(config.REDIS_URL, { name: 'flowfarm-webhooks', onError: (err) => log.error({ err }, 'redis error') });
  const delivery = startWebhookDeliveryWorker({ connection: redis, prefix: config.REDIS_PREFIX, ...deliveryOptionsFrom(config), log });
  let stopping = false;
  const metrics = await startMetricsServer(config.METRICS_PORT, config.METRICS_HOST, async () => {
    const redisOk = await pingRedis(redis).then(() => true, () => false);
    return { ok: redisOk && !stopping, detail: { redis: redisOk ? 'ok' : 'down', draining: String(stopping) } };
  });
  log.info({ prefix: config.REDIS_PREFIX, concurrency: config.WEBHOOK_CONCURRENCY, metricsPort: metrics.port }, 'webhook delivery process started');

  return new Promise<number>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      const code = 128 + (constants.signals[signal] ?? 15);
      if (stopping) process.exit(code);
      stopping = true;
      log.info({ signal }, 'draining webhook deliveries');
      const deadline = setTimeout(() => {
        log.warn('drain deadline passed; in-flight deliveries will be retried elsewhere');
        process.exit(code);
      }, DRAIN_DEADLINE_MS);
      deadline.unref();
      delivery
        .close()
        .catch((err: unknown) => log.error({ err }, 'closing the delivery worker failed'))
        .then(() => redis.quit().catch(() => undefined))
        .then(() => metrics.close())
        .then(() => {
          clearTimeout(deadline);
          resolve(code);
        });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
