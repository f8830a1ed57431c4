// POST /v1/jobs/:id/deliveries/:delivery/redeliver: send a delivery once more, with the same
// body and webhook-id (receivers de-duplicate on it), as a fresh queue job with a full retry
// schedule. Asking for it is an explicit "my endpoint works again", so a URL disabled by a 410
// is enabled again.
import type { Queue } from 'bullmq';
import type { DeliveryLog, DeliveryRecord } from './delivery-log.js';
import { deliveryJobOptions, type DeliveryJobData } from './delivery-queue.js';
import type { WebhookEndpointStore } from './endpoint-store.js';

export async function redeliver(
  deps: { deliveries: DeliveryLog; endpoints: WebhookEndpointStore; queue: Queue<DeliveryJobData> },
  tenant: string,
  jobId: string,
  deliveryId: string,
): Promise<DeliveryRecord | null> {
  const source = await deps.deliveries.source(tenant, jobId, deliveryId);
  if (!source) return null;
  await deps.endpoints.enable(tenant, source.url);
  const n = await deps.deliveries.nextRedeliveryNumber(deliveryId);
  await deps.deliveries.setStatus(deliveryId, 'pending', `redelivery ${n} requested`);
  const data: DeliveryJobData = {
    delivery_id: source.id,
    tenant,
    job_id: jobId,
    event: source.event,
    url: source.url,
    payload: source.payload,
  };
  await deps.queue.add('deliver', data, deliveryJobOptions(`${deliveryId}.r${n}`));
  return deps.deliveries.get(tenant, jobId, deliveryId);
}
