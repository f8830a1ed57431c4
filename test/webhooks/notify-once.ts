// Child process for the duplicate-notify test: one "worker process" that reports a job event
// to the webhook notifier and exits, as a re-run worker would after a crash.
// argv: <prefix> <tenant> <event> <job view JSON>
import { Redis } from 'ioredis';
import { createWebhookNotifier, type JobEventType } from '@flowfarm/webhooks';

const [prefix, tenant, event, jobJson] = process.argv.slice(2);
const redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
const notifier = createWebhookNotifier({ redis, prefix });
await notifier.notify({ type: event as JobEventType, tenant, job: JSON.parse(jobJson) });
await notifier.close();
await redis.quit();
