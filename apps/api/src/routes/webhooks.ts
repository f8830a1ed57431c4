// Webhook routes (declared in @flowfarm/webhooks' routes.ts; createApp mounts them under /v1,
// behind authentication and the rate limit):
//   PUT|GET|DELETE /v1/webhook-endpoint          the tenant's default endpoint
//   GET  /v1/webhook-secret                       the tenant's whsec_… signing secret
//   POST /v1/webhook-secret/rotate                new secret; the old one also signs for 24 h
//   GET  /v1/jobs/:id/deliveries                  deliveries of a job with their attempts
//   POST /v1/jobs/:id/deliveries/:delivery/redeliver   send one again
// and the webhook half of the api process: the notifier it reports transitions to and the
// delivery worker it runs unless WEBHOOK_DELIVERY=false.
import { Router } from 'express';
import { NotFoundError, ValidationError, type JobInput } from '@flowfarm/contracts';
import {
  assertWebhookUrlAllowed,
  createWebhookNotifier,
  createWebhookQueue,
  DEFAULT_WEBHOOK_EVENTS,
  deliveryOptionsFrom,
  DeliveryLog,
  redeliver,
  startWebhookDeliveryWorker,
  WEBHOOK_ROUTES,
  WebhookEndpointStore,
  WebhookSecretStore,
  WebhookUrlRefusedError,
  type WebhookDeliveryWorker,
  type WebhookNotifier,
} from '@flowfarm/webhooks';
import { requireTenant } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { loadOwnJob } from '../job-views.js';
import { serveRoute } from '../serve-route.js';

/** 422 with the field path when the SSRF guard refuses a webhook URL. */
async function checkWebhookUrl(url: string, allowPrivate: boolean, path: string): Promise<void> {
  try {
    await assertWebhookUrlAllowed(url, { allowPrivate });
  } catch (err) {
    if (err instanceof WebhookUrlRefusedError) {
      throw new ValidationError([{ path, message: err.message, code: err.code }], 'the webhook URL may not be called');
    }
    throw err;
  }
}

/** Submit-time check of a job's `webhook.url` (called by POST /v1/jobs). */
export async function assertSubmittedWebhookAllowed(deps: ApiDeps, input: JobInput): Promise<void> {
  if (input.webhook) await checkWebhookUrl(input.webhook.url, deps.config.WEBHOOK_ALLOW_PRIVATE, 'webhook.url');
}

export function webhooksRouter(deps: ApiDeps): Router {
  const prefix = deps.keys.bullPrefix;
  const endpoints = new WebhookEndpointStore(deps.redis, prefix);
  const secrets = new WebhookSecretStore(deps.redis, prefix);
  const deliveries = new DeliveryLog(deps.redis, prefix);
  // Shares the api's connection; nothing to close.
  const queue = createWebhookQueue(deps.redis, prefix);
  queue.on('error', (err) => deps.logger.error({ err }, 'webhook queue error'));
  const router = Router();

  async function endpointView(tenant: string) {
    const endpoint = await endpoints.getDefault(tenant);
    if (!endpoint) return null;
    return { ...endpoint, disabled: await endpoints.disabledInfo(tenant, endpoint.url) };
  }

  serveRoute(router, '/v1', WEBHOOK_ROUTES.putEndpoint, async (req, res, { body }) => {
    const tenant = requireTenant(req);
    await checkWebhookUrl(body.url, deps.config.WEBHOOK_ALLOW_PRIVATE, 'url');
    await endpoints.setDefault(tenant, body.url, body.events ?? [...DEFAULT_WEBHOOK_EVENTS]);
    res.json(await endpointView(tenant));
  });

  serveRoute(router, '/v1', WEBHOOK_ROUTES.getEndpoint, async (req, res) => {
    const view = await endpointView(requireTenant(req));
    if (!view) throw new NotFoundError('no default webhook endpoint set');
    res.json(view);
  });

  serveRoute(router, '/v1', WEBHOOK_ROUTES.deleteEndpoint, async (req, res) => {
    await endpoints.removeDefault(requireTenant(req));
    res.status(204).end();
  });

  serveRoute(router, '/v1', WEBHOOK_ROUTES.secret, async (req, res) => {
    res.json(await secrets.describe(requireTenant(req)));
  });

  serveRoute(router, '/v1', WEBHOOK_ROUTES.rotateSecret, async (req, res) => {
    res.json(await secrets.rotate(requireTenant(req)));
  });

  serveRoute(router, '/v1', WEBHOOK_ROUTES.deliveries, async (req, res, { params }) => {
    const job = await loadOwnJob(deps, req, params.id);
    res.json({ data: await deliveries.listForJob(job.tenant, job.id) });
  });

  serveRoute(router, '/v1', WEBHOOK_ROUTES.redeliver, async (req, res, { params }) => {
    const job = await loadOwnJob(deps, req, params.id);
    const record = await redeliver({ deliveries, endpoints, queue }, job.tenant, job.id, params.delivery);
    if (!record) throw new NotFoundError(`no delivery ${params.delivery} for job ${job.id}`);
    res.status(202).json(record);
  });

  return router;
}

/**
 * The api's notifier (BuildApiOptions.notifier): enqueues deliveries on the api's Redis and,
 * unless WEBHOOK_DELIVERY=false, runs the delivery worker in this process. Its close() (called
 * by the api's close) stops both.
 */
export function webhookNotifierFor(deps: ApiDeps): WebhookNotifier {
  const prefix = deps.keys.bullPrefix;
  const notifier = createWebhookNotifier({ redis: deps.redis, prefix });
  const log = deps.logger.child({ component: 'webhooks' });
  const delivery: WebhookDeliveryWorker | undefined = deps.config.WEBHOOK_DELIVERY
    ? startWebhookDeliveryWorker({ connection: deps.redis, prefix, ...deliveryOptionsFrom(deps.config), log })
    : undefined;
  let closing: Promise<void> | undefined;
  return {
    notify: (notice) => notifier.notify(notice),
    close() {
      closing ??= (async () => {
        try {
          await delivery?.close();
        } catch (err) {
          log.error({ err }, 'closing the webhook delivery worker failed');
        }
        await notifier.close();
      })();
      return closing;
    },
  };
}
