// The webhook routes, declared once (defineRoute): the API registers them from these objects
// and /openapi.json documents them from the same ones (their schemas: api-schemas.ts).
import { z } from 'zod';
import { defineRoute, jsonBodyErrors, needsKey, ok, problem } from '@flowfarm/contracts';
import { WebhookDelivery, WebhookDeliveryList, WebhookEndpointInput, WebhookEndpointView, WebhookSecretView } from './api-schemas.js';

export const WEBHOOK_ROUTES = {
  putEndpoint: defineRoute({
    method: 'put',
    path: '/v1/webhook-endpoint',
    summary: 'Set the default webhook endpoint (used by jobs that name no webhook); re-enables a URL disabled by 410',
    auth: 'tenant',
    body: WebhookEndpointInput,
    responses: {
      '200': ok('the endpoint', WebhookEndpointView),
      ...jsonBodyErrors(),
      '422': problem('invalid field, or a URL the SSRF guard refuses', { codes: ['validation_failed'] }),
      ...needsKey,
    },
  }),
  getEndpoint: defineRoute({
    method: 'get',
    path: '/v1/webhook-endpoint',
    summary: 'The default webhook endpoint',
    auth: 'tenant',
    responses: { '200': ok('the endpoint', WebhookEndpointView), '404': problem('none set', { codes: ['not_found'] }), ...needsKey },
  }),
  deleteEndpoint: defineRoute({
    method: 'delete',
    path: '/v1/webhook-endpoint',
    summary: 'Remove the default webhook endpoint',
    auth: 'tenant',
    responses: { '204': ok('removed'), ...needsKey },
  }),
  secret: defineRoute({
    method: 'get',
    path: '/v1/webhook-secret',
    summary: 'The whsec_… secret webhooks are signed with (Standard Webhooks)',
    auth: 'tenant',
    responses: { '200': ok('the secret', WebhookSecretView), ...needsKey },
  }),
  rotateSecret: defineRoute({
    method: 'post',
    path: '/v1/webhook-secret/rotate',
    summary: 'Make a new secret; the old one keeps signing next to it for 24 h',
    auth: 'tenant',
    responses: { '200': ok('the new secret', WebhookSecretView), ...needsKey },
  }),
  deliveries: defineRoute({
    method: 'get',
    path: '/v1/jobs/{id}/deliveries',
    summary: "The job's webhook deliveries and their attempts",
    auth: 'tenant',
    params: z.object({ id: z.string() }),
    responses: { '200': ok('deliveries, oldest first', WebhookDeliveryList), '404': problem('no such job', { codes: ['not_found'] }), ...needsKey },
  }),
  redeliver: defineRoute({
    method: 'post',
    path: '/v1/jobs/{id}/deliveries/{delivery}/redeliver',
    summary: 'Send a delivery again (same body and webhook-id, fresh retry schedule)',
    auth: 'tenant',
    params: z.object({ id: z.string(), delivery: z.string() }),
    responses: { '202': ok('redelivery queued', WebhookDelivery), '404': problem('no such job or delivery', { codes: ['not_found'] }), ...needsKey },
  }),
};
