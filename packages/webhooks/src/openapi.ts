// The webhook routes in the API's OpenAPI document: their component schemas come from the same
// zod schemas (api-schemas.ts) and their paths are added to the document contracts builds.
import { z } from 'zod';
import { JobEventType } from '@flowfarm/contracts';
import { WEBHOOK_API_SCHEMAS } from './api-schemas.js';

type OpenApiDocument = Record<string, unknown> & {
  paths?: Record<string, unknown>;
  components?: { schemas?: Record<string, unknown> };
};

function webhookComponentSchemas(): Record<string, unknown> {
  const registry = z.registry<{ id: string }>();
  // JobEventType is registered so references to it become $refs to the existing component.
  registry.add(JobEventType, { id: 'JobEventType' });
  for (const [id, schema] of Object.entries(WEBHOOK_API_SCHEMAS)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { uri: (id) => `#/components/schemas/${id}`, io: 'input', unrepresentable: 'any' });
  const out: Record<string, unknown> = {};
  for (const id of Object.keys(WEBHOOK_API_SCHEMAS)) {
    const schema = { ...(schemas[id] as Record<string, unknown>) };
    delete schema.$schema;
    delete schema.$id;
    out[id] = schema;
  }
  return out;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: string, description: string) => ({ description, content: { 'application/json': { schema: ref(name) } } });
const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: ref('Problem') } } });
const jobId = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const unauthorized = { '401': problem('missing or invalid tenant API key') };

const WEBHOOK_PATHS = {
  '/v1/webhook-endpoint': {
    put: {
      summary: 'Set the default webhook endpoint (used by jobs that name no webhook); re-enables a URL disabled by 410',
      requestBody: { required: true, content: { 'application/json': { schema: ref('WebhookEndpointInput') } } },
      responses: { '200': json('WebhookEndpoint', 'the endpoint'), '422': problem('invalid field, or a URL the SSRF guard refuses'), ...unauthorized },
    },
    get: { summary: 'The default webhook endpoint', responses: { '200': json('WebhookEndpoint', 'the endpoint'), '404': problem('none set'), ...unauthorized } },
    delete: { summary: 'Remove the default webhook endpoint', responses: { '204': { description: 'removed' }, ...unauthorized } },
  },
  '/v1/webhook-secret': {
    get: { summary: 'The whsec_… secret webhooks are signed with (Standard Webhooks)', responses: { '200': json('WebhookSecret', 'the secret'), ...unauthorized } },
  },
  '/v1/webhook-secret/rotate': {
    post: { summary: 'Make a new secret; the old one keeps signing next to it for 24 h', responses: { '200': json('WebhookSecret', 'the new secret'), ...unauthorized } },
  },
  '/v1/jobs/{id}/deliveries': {
    get: {
      summary: "The job's webhook deliveries and their attempts",
      parameters: [jobId],
      responses: { '200': json('WebhookDeliveryList', 'deliveries, oldest first'), '404': problem('no such job'), ...unauthorized },
    },
  },
  '/v1/jobs/{id}/deliveries/{delivery}/redeliver': {
    post: {
      summary: 'Send a delivery again (same body and webhook-id, fresh retry schedule)',
      parameters: [jobId, { name: 'delivery', in: 'path', required: true, schema: { type: 'string' } }],
      responses: { '202': json('WebhookDelivery', 'redelivery queued'), '404': problem('no such job or delivery'), ...unauthorized },
    },
  },
};

/** Adds the webhook routes and schemas to an OpenAPI document (returns a new document). */
export function withWebhookRoutes<D extends OpenApiDocument>(document: D): D {
  return {
    ...document,
    paths: { ...(document.paths ?? {}), ...WEBHOOK_PATHS },
    components: {
      ...(document.components ?? {}),
      schemas: { ...(document.components?.schemas ?? {}), ...webhookComponentSchemas() },
    },
  };
}
