// One declaration per HTTP route — method, path, parameters, body, answers with their headers —
// from which both the API's Express registration with its validation (apps/api/src/serve-route.ts)
// and the OpenAPI document (/openapi.json, docs/api.md) are made, so neither can drift from
// the other. The route groups migrated so far live next to this file (routes/*.ts); the rest
// of the document is still written by hand in openapi*.ts.
import type { z } from 'zod';

export type HttpMethod = 'get' | 'post' | 'put' | 'delete' | 'patch';

/** A response header, as documented. */
export interface HeaderSpec {
  description: string;
  /** JSON schema of the value (default: a string) */
  schema?: Record<string, unknown>;
}

/** One answer of a route. */
export interface ResponseSpec {
  description: string;
  /** a JSON body of this schema (a named schema becomes a $ref) */
  body?: z.ZodType;
  /** a body documented by a JSON schema of its own (for shapes that are not a named schema) */
  schema?: Record<string, unknown>;
  /** the body is application/problem+json (a Problem) */
  problem?: boolean;
  /** content types of a non-JSON body (files, streams), each with an optional JSON schema; beside `body`: other forms of the same answer (CSV) */
  content?: Record<string, Record<string, unknown>>;
  headers?: Record<string, HeaderSpec>;
}

/** A request header the route reads (documented; the handler reads it). */
export interface RequestHeaderSpec {
  name: string;
  description: string;
  schema?: Record<string, unknown>;
}

export interface RouteSpec {
  method: HttpMethod;
  /** OpenAPI template, absolute: `/v1/styles/{name}` */
  path: string;
  summary: string;
  /** who may call it: a tenant's API key, any key (a tenant's or the admin key), the admin key, or anyone */
  auth: 'tenant' | 'key' | 'admin' | 'none';
  /** path parameters, one key per `{name}` of the path; validated before the handler runs */
  params?: z.ZodObject;
  /** query parameters; validated before the handler runs */
  query?: z.ZodObject;
  headers?: RequestHeaderSpec[];
  /** the JSON body; validated before the handler runs (problem 422 with field paths) */
  body?: z.ZodType;
  /** the body is a file of one of these content types (read raw by the handler; documented as binary) */
  fileBody?: string[];
  /** what an absent body is validated as (e.g. `{}`: every field optional); without it an absent body is a 422 */
  emptyBodyAs?: unknown;
  responses: Record<string, ResponseSpec>;
}

/** Declares a route (identity: keeps the literal types for the handler's input). */
export function defineRoute<const S extends RouteSpec>(spec: S): S {
  return spec;
}

/** What a handler receives, parsed by the route's schemas. */
export interface RouteInput<S extends RouteSpec> {
  params: S['params'] extends z.ZodObject ? z.output<S['params']> : Record<string, string>;
  query: S['query'] extends z.ZodObject ? z.output<S['query']> : Record<string, unknown>;
  body: S['body'] extends z.ZodType ? z.output<S['body']> : unknown;
}

// Answers many routes share.
export const ok = (description: string, body?: z.ZodType, headers?: Record<string, HeaderSpec>): ResponseSpec => ({ description, ...(body ? { body } : {}), ...(headers ? { headers } : {}) });
export const problem = (description: string, headers?: Record<string, HeaderSpec>): ResponseSpec => ({ description, problem: true, ...(headers ? { headers } : {}) });
export const retryAfterHeader: Record<string, HeaderSpec> = { 'Retry-After': { description: 'seconds to wait before trying again', schema: { type: 'integer' } } };
/** 401 and 429 of the routes a tenant's key calls (the rate limit, active-job cap and quotas apply). */
export const keyErrors = {
  '401': problem('missing or invalid API key'),
  '429': problem('rate limit, active-job cap or quota reached (`quota_exceeded` names the limit, the usage and when it resets)', retryAfterHeader),
};
/** 401 of every route that takes a key. */
export const needsKey = { '401': problem('missing or invalid API key') };
/** 401 and 403 of the admin routes. */
export const needsAdmin = { '401': problem('missing or invalid key'), '403': problem('admin key needed') };

/** `/v1/styles/{name}` → `/styles/:name` under a router mounted at `/v1`. */
export function expressPath(spec: Pick<RouteSpec, 'path'>, mountedAt = ''): string {
  if (mountedAt && !spec.path.startsWith(`${mountedAt}/`)) throw new Error(`${spec.path} is not under ${mountedAt}`);
  return spec.path.slice(mountedAt.length).replace(/\{(\w+)\}/g, ':$1');
}

/** A schema as OpenAPI shows it: a $ref when it is named, else inline. */
export type SchemaRef = (schema: z.ZodType) => Record<string, unknown>;

function parameters(spec: RouteSpec, schemaOf: SchemaRef): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const placeholders = [...spec.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
  const declared = Object.keys(spec.params?.shape ?? {});
  if (placeholders.join() !== declared.join()) throw new Error(`${spec.method.toUpperCase()} ${spec.path}: params must declare ${placeholders.join(', ') || 'nothing'} (got ${declared.join(', ') || 'nothing'})`);
  for (const [name, schema] of Object.entries(spec.params?.shape ?? {})) {
    out.push({ name, in: 'path', required: true, schema: schemaOf(schema as z.ZodType), ...describe(schema as z.ZodType) });
  }
  for (const [name, schema] of Object.entries(spec.query?.shape ?? {})) {
    const field = schema as z.ZodType;
    out.push({ name, in: 'query', required: !field.safeParse(undefined).success, schema: schemaOf(field), ...describe(field) });
  }
  for (const header of spec.headers ?? []) out.push({ name: header.name, in: 'header', schema: header.schema ?? { type: 'string' }, description: header.description });
  return out;
}

const describe = (schema: z.ZodType) => (schema.description ? { description: schema.description } : {});

function response(r: ResponseSpec, schemaOf: SchemaRef): Record<string, unknown> {
  const headers = r.headers ? { headers: Object.fromEntries(Object.entries(r.headers).map(([name, h]) => [name, { description: h.description, schema: h.schema ?? { type: 'string' } }])) } : {};
  let content: Record<string, unknown> | undefined;
  if (r.problem) content = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } };
  else if (r.body) content = { 'application/json': { schema: schemaOf(r.body) }, ...r.content };
  else if (r.schema) content = { 'application/json': { schema: r.schema } };
  else if (r.content) content = r.content;
  return { description: r.description, ...headers, ...(content ? { content } : {}) };
}

/** The OpenAPI path items of these routes. */
export function openApiPaths(routes: readonly RouteSpec[], schemaOf: SchemaRef): Record<string, Record<string, unknown>> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const spec of routes) {
    const params = parameters(spec, schemaOf);
    const operation: Record<string, unknown> = {
      summary: spec.summary,
      ...(spec.auth === 'none' ? { security: [] } : {}),
      ...(params.length ? { parameters: params } : {}),
      ...(spec.body ? { requestBody: { required: true, content: { 'application/json': { schema: schemaOf(spec.body) } } } } : {}),
      ...(spec.fileBody ? { requestBody: { required: true, content: Object.fromEntries(spec.fileBody.map((type) => [type, { schema: { type: 'string', format: 'binary' } }])) } } : {}),
      responses: Object.fromEntries(Object.entries(spec.responses).map(([status, r]) => [status, response(r, schemaOf)])),
    };
    paths[spec.path] ??= {};
    if (paths[spec.path][spec.method]) throw new Error(`${spec.method.toUpperCase()} ${spec.path} is declared twice`);
    paths[spec.path][spec.method] = operation;
  }
  return paths;
}
