import { z } from 'zod';
import { JobEventType, JobErrorInfo, JobProgress, JobStatus, JobStreamEvent } from './job-events.js';
import { JobInput, WebhookSpec } from './job-input.js';
import { Layout, Scene } from './layout.js';
import { DatasetSpec } from './dataset-spec.js';
import { DatasetList, DatasetStatus, DatasetView } from './dataset-view.js';
import { JobList, JobOutput, JobUrls, JobView } from './job-view.js';
import { ApiKeyCreate, ApiKeyInfo, ModelInfo, ModelList, WorkerHeartbeat, WorkerModel } from './models.js';
import { FieldError, Problem } from './errors.js';
import { AdminJobList, AdminJobState, AdminJobSummary, QueueStats, QueueStatsList } from './ops.js';
import { TRUST_SCHEMAS } from './openapi-trust.js';
import { STYLE_SCHEMAS } from './openapi-styles.js';
import { FAIRNESS_SCHEMAS } from './openapi-fairness.js';
import { DECLARED_ROUTES, openApiPaths } from './routes/index.js';

/** Every named schema of the API; each becomes `#/components/schemas/<name>`. */
const NAMED_SCHEMAS: Record<string, z.ZodType> = {
  JobInput,
  WebhookSpec,
  Layout,
  Scene,
  DatasetSpec,
  DatasetStatus,
  DatasetView,
  DatasetList,
  JobEventType,
  JobStatus,
  JobProgress,
  JobError: JobErrorInfo,
  JobOutput,
  JobUrls,
  JobView,
  JobList,
  JobStreamEvent,
  ModelInfo,
  ModelList,
  WorkerModel,
  WorkerHeartbeat,
  ApiKeyCreate,
  ApiKeyInfo,
  FieldError,
  Problem,
  QueueStats,
  QueueStatsList,
  AdminJobState,
  AdminJobSummary,
  AdminJobList,
  ...TRUST_SCHEMAS,
  ...STYLE_SCHEMAS,
  ...FAIRNESS_SCHEMAS,
};

function componentSchemas(): Record<string, unknown> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(NAMED_SCHEMAS)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, {
    uri: (id) => `#/components/schemas/${id}`,
    io: 'input',
    unrepresentable: 'any',
  });
  for (const schema of Object.values(schemas)) {
    delete (schema as Record<string, unknown>).$schema;
    delete (schema as Record<string, unknown>).$id;
  }
  return schemas;
}

const SCHEMA_NAMES = new Map<z.ZodType, string>(Object.entries(NAMED_SCHEMAS).map(([name, schema]) => [schema, name]));

/** A schema of a declared route: a $ref when it is one of NAMED_SCHEMAS, else inline. */
function schemaOf(schema: z.ZodType): Record<string, unknown> {
  const name = SCHEMA_NAMES.get(schema);
  if (name) return ref(name);
  const inline = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete inline.$schema;
  return inline;
}

/** Adds the declared routes' path items to the hand-written ones (a method declared in both is a mistake). */
function withDeclaredRoutes(paths: Record<string, Record<string, unknown>>): Record<string, Record<string, unknown>> {
  const out = { ...paths };
  for (const [path, operations] of Object.entries(openApiPaths(DECLARED_ROUTES, schemaOf))) {
    for (const method of Object.keys(operations)) {
      if (out[path]?.[method]) throw new Error(`${method.toUpperCase()} ${path} is both declared (routes/) and written in openapi*.ts`);
    }
    out[path] = { ...out[path], ...operations };
  }
  return out;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: string, description: string) => ({ description, content: { 'application/json': { schema: ref(name) } } });
const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: ref('Problem') } } });
const jobId = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const header = (description: string, schema: Record<string, unknown> = { type: 'string' }) => ({ description, schema });
const retryAfter = { 'Retry-After': header('seconds to wait before trying again', { type: 'integer' }) };
/** A problem answer that says when to come back. */
const retryLater = (description: string) => ({ ...problem(description), headers: retryAfter });
const commonErrors = {
  '401': problem('missing or invalid API key'),
  '429': retryLater('rate limit, active-job cap or quota reached (`quota_exceeded` names the limit, the usage and when it resets)'),
};
/** Headers of a submit's answer. */
const submitHeaders = {
  Location: header('URL of the job'),
  'Idempotent-Replayed': header('`true` when an Idempotency-Key replay returned an earlier job'),
  'Preference-Applied': header('`wait=N` when Prefer: wait was honoured'),
};

/** The OpenAPI 3.1 document of the HTTP API, built from the same zod schemas the API validates with. */
export function buildOpenApiDocument(options: { serverUrl?: string; version?: string } = {}): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'flowfarm API',
      version: options.version ?? '0.1.0',
      description: 'Submit text-to-image jobs to a flowfarm render farm, follow them, and fetch their images.',
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    security: [{ bearer: [] }],
    paths: withDeclaredRoutes({
      '/v1/jobs': {
        post: {
          summary: 'Submit a job',
          parameters: [
            { name: 'Idempotency-Key', in: 'header', schema: { type: 'string', maxLength: 255 }, description: 'same key and body within 24 h returns the same job; another body → 409' },
            { name: 'Prefer', in: 'header', schema: { type: 'string', example: 'wait=30' }, description: 'wait=N (N ≤ 60): hold the request until the job ends' },
            {
              name: 'Cancel-After',
              in: 'header',
              schema: { type: 'string', example: '5m' },
              description: 'deadline from submit, as Replicate defines it (30, 90s, 5m, 1h30m; at least 5 s): not started by then → expired; still running then → canceled',
            },
          ],
          requestBody: { required: true, content: { 'application/json': { schema: ref('JobInput') } } },
          responses: {
            '200': { ...json('JobView', 'finished job (only with Prefer: wait)'), headers: submitHeaders },
            '202': { ...json('JobView', 'job accepted (or unfinished when Prefer: wait ran out)'), headers: submitHeaders },
            '400': problem('malformed JSON'),
            '409': problem('Idempotency-Key reused with another body'),
            '413': problem('body over JOB_BODY_LIMIT (default 9 MB)'),
            '422': problem('invalid fields (with field paths), unknown model, a priority above the key\'s or tenant\'s max_priority (priority_not_allowed), or a bad Cancel-After'),
            ...commonErrors,
            '429': retryLater('rate limit, active-job cap, or a quota (code quota_exceeded, with quota, limit, used, requested and resets_at); see Retry-After'),
            '503': retryLater('no worker has announced a model yet, or the queue is not reachable'),
          },
        },
        get: {
          summary: "List the tenant's recent jobs, newest first",
          parameters: [
            { name: 'status', in: 'query', schema: ref('JobStatus') },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
            { name: 'cursor', in: 'query', schema: { type: 'string' } },
          ],
          responses: { '200': json('JobList', 'a page of jobs'), ...commonErrors },
        },
      },
      '/v1/jobs/{id}': {
        get: { summary: 'Get a job', parameters: [jobId], responses: { '200': json('JobView', 'the job'), '404': problem('no such job for this tenant'), ...commonErrors } },
      },
      '/v1/jobs/{id}/cancel': {
        post: {
          summary: 'Cancel a job (queued: at once; running: at the next step)',
          parameters: [jobId],
          responses: { '202': json('JobView', 'cancel accepted'), '404': problem('no such job'), '409': problem('job already finished'), ...commonErrors },
        },
      },
      '/v1/jobs/{id}/events': {
        get: {
          summary: 'Server-Sent Events: status changes and per-step progress; ends after the terminal event',
          parameters: [jobId, { name: 'Last-Event-ID', in: 'header', schema: { type: 'string' }, description: 'resume after this event' }],
          responses: { '200': { description: 'event stream; each data line is a JobStreamEvent', content: { 'text/event-stream': { schema: ref('JobStreamEvent') } } }, '404': problem('no such job'), ...commonErrors },
        },
      },
      '/v1/datasets': {
        post: {
          summary: 'Create a dataset: a prompt template or layout generator expanded into count labelled images',
          requestBody: { required: true, content: { 'application/json': { schema: ref('DatasetSpec') } } },
          responses: {
            '202': json('DatasetView', 'dataset accepted'), '422': problem('invalid fields (with field paths) or unknown model'), ...commonErrors,
            '429': retryLater('rate limit, or the whole set does not fit a quota (`quota_exceeded`: a dataset reserves all its items at create)'),
          },
        },
        get: {
          summary: "The tenant's datasets, newest first",
          parameters: [{ name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } }],
          responses: { '200': json('DatasetList', 'datasets'), ...commonErrors },
        },
      },
      '/v1/datasets/{id}': { get: { summary: 'Get a dataset: progress, counts, file links', parameters: [jobId], responses: { '200': json('DatasetView', 'the dataset'), '404': problem('no such dataset for this tenant'), ...commonErrors } } },
      '/v1/datasets/{id}/manifest': {
        get: {
          summary: 'The streaming manifest: one JSON line per item recorded so far, in the order items finished (readable while the dataset runs)',
          parameters: [jobId, { name: 'from', in: 'query', schema: { type: 'integer', minimum: 0, default: 0 }, description: 'lines the reader already has (only newer ones are sent)' }],
          responses: {
            '200': { description: 'NDJSON, one manifest line per item; the Dataset-Status header gives the status when read', content: { 'application/x-ndjson': { schema: { type: 'string' } } } },
            '404': problem('no such dataset for this tenant'), '422': problem('from is not a whole number'), ...commonErrors,
          },
        },
      },
      '/v1/datasets/{id}/images/{index}': {
        get: {
          summary: 'Redirect to the signed URL of one image of the set',
          parameters: [jobId, { name: 'index', in: 'path', required: true, schema: { type: 'integer', minimum: 0 } }],
          responses: { '302': { description: 'to the image' }, '404': problem('no such dataset, or the item is not rendered yet'), '422': problem('index out of range'), ...commonErrors },
        },
      },
      '/v1/datasets/{id}/cancel': {
        post: { summary: 'Cancel a dataset (no more chunks start; unrendered items give their quota back; one dataset.canceled webhook)', parameters: [jobId], responses: { '202': json('DatasetView', 'canceled'), '404': problem('no such dataset'), '409': problem('dataset already finished'), ...commonErrors } },
      },
      '/openapi.json': { get: { summary: 'This document', security: [], responses: { '200': { description: 'OpenAPI 3.1' } } } },
      '/metrics': { get: { summary: 'Prometheus metrics of this API process (text exposition format)', security: [], responses: { '200': { description: 'metrics', content: { 'text/plain': { schema: { type: 'string' } } } } } } },
      '/files/{key}': {
        get: {
          summary: 'Download a stored file through its signed link (local storage; with S3 the links point at the bucket)',
          security: [],
          parameters: [
            { name: 'key', in: 'path', required: true, schema: { type: 'string' }, description: 'tenant/job/file, as in the output URL' },
            { name: 'expires', in: 'query', required: true, schema: { type: 'integer' } },
            { name: 'signature', in: 'query', required: true, schema: { type: 'string' } },
          ],
          responses: {
            '200': { description: 'the file', headers: { 'Cache-Control': header('private, max-age=3600') }, content: { 'image/png': {}, 'image/jpeg': {}, 'image/webp': {} } },
            '403': problem('bad signature or expired link (`url_expired`: get the job again for a fresh link)'),
            '404': problem('file no longer exists'),
          },
        },
      },
    }),
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'API key' } },
      schemas: componentSchemas(),
    },
  };
}
