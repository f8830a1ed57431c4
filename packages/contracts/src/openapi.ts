// The OpenAPI document, made from the route declarations (routes/) and the named zod schemas.
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
import { DECLARED_ROUTES, openApiPaths, type RouteSpec, type SchemaRef } from './routes/index.js';

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

function componentSchemas(named: Record<string, z.ZodType>): Record<string, unknown> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(named)) registry.add(schema, { id });
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

/** A schema of a declared route as the document shows it: a $ref when it is a named schema, else inline. */
function schemaRefs(named: Record<string, z.ZodType>): SchemaRef {
  const names = new Map<z.ZodType, string>(Object.entries(named).map(([name, schema]) => [schema, name]));
  return (schema) => {
    const name = names.get(schema);
    if (name) return { $ref: `#/components/schemas/${name}` };
    const inline = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
    delete inline.$schema;
    return inline;
  };
}

export interface OpenApiOptions {
  serverUrl?: string;
  version?: string;
  /** the routes to document (default: every route declared in this package) */
  routes?: readonly RouteSpec[];
  /** named schemas of those routes that are not this package's (each becomes a component) */
  schemas?: Record<string, z.ZodType>;
}

/**
 * The OpenAPI 3.1 document of the HTTP API. Every path comes from a route declaration (routes/),
 * every schema from the zod schemas the API validates with: nothing in it is written by hand.
 */
export function buildOpenApiDocument(options: OpenApiOptions = {}): Record<string, unknown> {
  const named = { ...NAMED_SCHEMAS, ...options.schemas };
  return {
    openapi: '3.1.0',
    info: {
      title: 'flowfarm API',
      version: options.version ?? '0.1.0',
      description: 'Submit text-to-image jobs to a flowfarm render farm, follow them, and fetch their images.',
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    security: [{ bearer: [] }],
    paths: openApiPaths(options.routes ?? DECLARED_ROUTES, schemaRefs(named)),
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'API key' } },
      schemas: componentSchemas(named),
    },
  };
}
