// Registers a route declared in @flowfarm/contracts (routes/*.ts; the webhook routes in
// @flowfarm/webhooks) on an Express router: the path comes from the declaration, admin routes
// get the admin check, and the path parameters, query and JSON body are validated by the
// declaration's schemas before the handler runs (a problem 422 naming each bad field). The
// handler writes the answer itself — JSON, a redirect, a file, or a stream (events, NDJSON) —
// and the same declaration is the route's entry in /openapi.json, so the two cannot disagree.
// It is the only way the API registers a route (test/api-routes.test.ts checks that).
import type { NextFunction, Request, RequestHandler, Response, Router } from 'express';
import { ValidationError, expressPath, fieldErrorsFromZod, type RouteInput, type RouteSpec } from '@flowfarm/contracts';
import { requireAdmin, requireTenant } from './auth.js';

export type RouteHandler<S extends RouteSpec> = (req: Request, res: Response, input: RouteInput<S>) => unknown;

/** Set on the handler serveRoute registers: the declaration it serves (read by the route test). */
export const SERVES_DECLARATION = Symbol.for('flowfarm.servesDeclaration');

/** Parses one part of the request with its schema, or throws the 422 naming the bad fields. */
function parsed(schema: RouteSpec['body'], value: unknown): unknown {
  if (!schema) return value;
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(fieldErrorsFromZod(result.error));
  return result.data;
}

/** The path parameters as declared: a rest parameter comes from Express as its segments. */
function pathParams(spec: RouteSpec, req: Request): Record<string, unknown> {
  const params: Record<string, unknown> = { ...req.params };
  if (spec.restParam && Array.isArray(params[spec.restParam])) params[spec.restParam] = (params[spec.restParam] as string[]).join('/');
  return params;
}

/** Serves `spec` on `router`, which the app mounts at `mountedAt` ('' for the app itself, '/v1' …). */
export function serveRoute<S extends RouteSpec>(
  router: Router,
  mountedAt: string,
  spec: S,
  handler: RouteHandler<S>,
  /** middleware that runs before the validation, e.g. a body parser of the route's own (a file body) */
  before: RequestHandler[] = [],
): void {
  const run = async (req: Request, res: Response) => {
    if (spec.auth === 'tenant') requireTenant(req); // 401 before any 422, as for a route with no input
    const input = {
      params: parsed(spec.params, pathParams(spec, req)),
      query: parsed(spec.query, req.query),
      body: parsed(spec.body, req.body === undefined && 'emptyBodyAs' in spec ? spec.emptyBodyAs : req.body),
    } as RouteInput<S>;
    await handler(req, res, input);
  };
  Object.defineProperty(run, SERVES_DECLARATION, { value: spec });
  const handlers: Array<(req: Request, res: Response, next: NextFunction) => unknown> = [...(spec.auth === 'admin' ? [requireAdmin] : []), ...before, run];
  router[spec.method](expressPath(spec, mountedAt), ...handlers);
}
