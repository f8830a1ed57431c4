// zod schemas of the webhook routes' bodies: validation in the api and the OpenAPI document.
import { z } from 'zod';
import { JobEventType } from '@flowfarm/contracts';

export const WebhookEndpointInput = z
  .object({
    url: z.url({ protocol: /^https?$/ }).max(2048).describe('http(s) endpoint for jobs that name no webhook'),
    events: z.array(JobEventType).min(1).optional().describe('events to deliver (default: job.succeeded, job.failed, job.canceled, job.moderated, job.expired)'),
  })
  .strict()
  .meta({ id: 'WebhookEndpointInput' });

export const WebhookEndpointView = z
  .object({
    url: z.string(),
    events: z.array(JobEventType),
    updated_at: z.iso.datetime(),
    disabled: z
      .object({ at: z.iso.datetime(), reason: z.string() })
      .nullable()
      .describe('set when the receiver answered 410 Gone; PUT the URL again to enable it'),
  })
  .meta({ id: 'WebhookEndpoint' });

export const WebhookSecretView = z
  .object({
    secret: z.string().describe('whsec_… secret that signs webhooks (Standard Webhooks)'),
    previous_valid_until: z.iso.datetime().nullable().describe('after a rotation: the old secret also signs until then'),
  })
  .meta({ id: 'WebhookSecret' });

export const WebhookDeliveryAttempt = z
  .object({
    at: z.iso.datetime(),
    status_code: z.number().int().nullable().describe('HTTP status the receiver answered (null: no answer)'),
    duration_ms: z.number().int(),
    error: z.string().nullable(),
    next_try_at: z.iso.datetime().nullable().describe('when the next attempt is due (null: none)'),
  })
  .meta({ id: 'WebhookDeliveryAttempt' });

export const WebhookDelivery = z
  .object({
    id: z.string().describe('also the webhook-id header, the same on every attempt'),
    job_id: z.string(),
    event: JobEventType,
    url: z.string(),
    status: z.enum(['pending', 'delivered', 'failed', 'endpoint_disabled', 'refused']),
    status_detail: z.string().nullable(),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
    attempts: z.array(WebhookDeliveryAttempt),
  })
  .meta({ id: 'WebhookDelivery' });

export const WebhookDeliveryList = z.object({ data: z.array(WebhookDelivery) }).meta({ id: 'WebhookDeliveryList' });

/** Named schemas for the OpenAPI document's components. */
export const WEBHOOK_API_SCHEMAS: Record<string, z.ZodType> = {
  WebhookEndpointInput,
  WebhookEndpoint: WebhookEndpointView,
  WebhookSecret: WebhookSecretView,
  WebhookDeliveryAttempt,
  WebhookDelivery,
  WebhookDeliveryList,
};
