// One declaration per HTTP route — method, path, parameters, body, answers with their headers —
// from which both the API's Express registration with its validation (apps/api/src/serve-route.ts)
// and the OpenAPI document (/openapi.json, docs/api.md) are made, so neither can drift from
// the other. The route groups live next to this file (routes/*.ts; the webhook routes in
// @flowfarm/webhooks). Streaming and non-JSON answers (event streams, NDJSON, files, metrics)
// are declared the same way: their handler writes the answer itself, the declaration says
// what it is.
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
  /** the problem `code`s this answer may carry (its `type` is https://flowfarm.dev/problems/<code>) */
  codes?: string[];
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
  /** the last path parameter, which takes the rest of the path, slashes included (`/files/{key}`) */
  restParam?: string;
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
/** A problem+json answer; `codes`: the problem codes it may carry. */
export const problem = (description: string, options: { codes?: string[]; headers?: Record<string, HeaderSpec> } = {}): ResponseSpec => ({
  description,
  problem: true,
  ...(options.codes ? { codes: options.codes } : {}),
  ...(options.headers ? { headers: options.headers } : {}),
});
export const retryAfterHeader: Record<string, HeaderSpec> = { 'Retry-After': { description: 'seconds to wait before trying again', schema: { type: 'integer' } } };
/** The per-key request limit (RATE_LIMIT_PER_MINUTE), checked on every /v1 request after the key. */
const rateLimited = problem('more than RATE_LIMIT_PER_MINUTE requests a minute with this key', { codes: ['rate_limited'], headers: retryAfterHeader });
/** 401 and 429 of the routes that add work for a tenant (the rate limit, active-job cap and quotas apply). */
export const keyErrors = {
  '401': problem('missing or invalid API key', { codes: ['unauthorized'] }),
  '429': problem('rate limit, active-job cap or quota reached (`quota_exceeded` names the limit, the usage and when it resets)', {
    codes: ['rate_limited', 'too_many_active_jobs', 'quota_exceeded'],
    headers: retryAfterHeader,
  }),
};
/** 401 and 429 of every /v1 route that takes a key. */
export const needsKey = { '401': problem('missing or invalid API key', { codes: ['unauthorized'] }), '429': rateLimited };
/** 401, 403 and 429 of the admin routes. */
export const needsAdmin = { '401': problem('missing or invalid key', { codes: ['unauthorized'] }), '403': problem('admin key needed', { codes: ['forbidden'] }), '429': rateLimited };
/** 400, 413 and 415 of a route with a JSON body (body-parser's answers). */
export const jsonBodyErrors = (limit = 'BODY_LIMIT (default 100 kB)') => ({
  '400': problem('malformed JSON, or an upload the client aborted', { codes: ['malformed_json', 'request_aborted'] }),
  '413': problem(`body over ${limit}`, { codes: ['payload_too_large'] }),
  '415': problem('a Content-Encoding or charset the API does not read', { codes: ['unsupported_encoding'] }),
});

/** `/v1/styles/{name}` → `/styles/:name` under a router mounted at `/v1`; a rest parameter `{key}` → `*key`. */
export function expressPath(spec: Pick<RouteSpec, 'path' | 'restParam'>, mountedAt = ''): string {
  if (mountedAt && !spec.path.startsWith(`${mountedAt}/`)) throw new Error(`${spec.path} is not under ${mountedAt}`);
  if (spec.restParam && !spec.path.endsWith(`{${spec.restParam}}`)) throw new Error(`${spec.path}: the rest parameter ${spec.restParam} must end the path`);
  return spec.path.slice(mountedAt.length).replace(/\{(\w+)\}/g, (_, name: string) => (name === spec.restParam ? `*${name}` : `:${name}`));
}

/** A field that forgives bad values (`.catch`) is documented by what it asks for: required unless its own schema takes `undefined`. */
function isRequired(field: z.ZodType): boolean {
  const def = field._zod.def as { type: string; innerType?: z.ZodType };
  return !(def.type === 'catch' && def.innerType ? def.innerType : field).safeParse(undefined).success;
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
    out.push({ name, in: 'query', required: isRequired(field), schema: schemaOf(field), ...describe(field) });
  }
  for (const header of spec.headers ?? []) out.push({ name: header.name, in: 'header', schema: header.schema ?? { type: 'string' }, description: header.description });
  return out;
}

const describe = (schema: z.ZodType) => (schema.description ? { description: schema.description } : {});

function response(r: ResponseSpec, schemaOf: SchemaRef): Record<string, unknown> {
  const headers = r.headers ? { headers: Object.fromEntries(Object.entries(r.headers).map(([name, h]) => [name, { description: h.description, schema: h.schema ?? { type: 'string' } }])) } : {};
  let content: Record<string, unknown> | undefined;
  const problemRef = { $ref: '#/components/schemas/Problem' };
  if (r.problem) content = { 'application/problem+json': { schema: r.codes ? { allOf: [problemRef, { properties: { code: { enum: r.codes } } }] } : problemRef } };
  else if (r.body) content = { 'application/json': { schema: schemaOf(r.body) }, ...r.content };
  else if (r.schema) content = { 'application/json': { schema: r.schema } };
  else if (r.content) content = r.content;
  return { description: r.description, ...headers, ...(content ? { content } : {}) };
}

/**
 * Answers every route of a kind gives, whatever its handler does: a key is checked (401) and
 * counted against the per-key rate limit (429, with Retry-After), the admin key is checked (403),
 * a body is read by a parser that refuses bad or oversized bodies (400, 413). A declaration that
 * leaves one out would document less than the route answers, so building the document fails.
 */
function assertAnswersDeclared(spec: RouteSpec): void {
  const needed = [
    ...(spec.auth === 'none' ? [] : ['401', '429']),
    ...(spec.auth === 'admin' ? ['403'] : []),
    ...(spec.body || spec.fileBody ? ['400', '413'] : []),
  ];
  const missing = needed.filter((status) => !spec.responses[status]);
  if (missing.length) throw new Error(`${spec.method.toUpperCase()} ${spec.path} must declare its ${missing.join(', ')} answers`);
  // our 429 and 503 problems always say when to come back (problem-handler sets Retry-After from retry_after)
  for (const status of ['429', '503']) {
    const r = spec.responses[status];
    if (r?.problem && !r.headers?.['Retry-After']) throw new Error(`${spec.method.toUpperCase()} ${spec.path}: its ${status} must declare Retry-After`);
  }
}

/** The OpenAPI path items of these routes. */
export function openApiPaths(routes: readonly RouteSpec[], schemaOf: SchemaRef): Record<string, Record<string, unknown>> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const spec of routes) {
    assertAnswersDeclared(spec);
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
