// HTTP side of the metrics: a request-duration middleware that labels by route template, and
// the /metrics handler. Both take Node's own request/response types, so the worker's plain
// `node:http` metrics server can use the handler as well as the Express API.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { httpRequestDuration, registry } from './metrics.js';

/** Label for requests no route matched (404s, probes for random paths). */
export const UNMATCHED_ROUTE = 'unmatched';

type RoutedRequest = IncomingMessage & { baseUrl?: string; route?: { path?: unknown } };

/**
 * Express-compatible middleware observing `flowfarm_http_request_duration_seconds`.
 *
 * The route label is `baseUrl + route.path` as it was when the route matched: Express resets
 * `req.baseUrl` when a sub-router passes an error on, so reading it at `finish` would turn
 * `/v1/jobs/:id` into `/:id` for errors. Raw URLs are never used (ids would explode the
 * series count).
 */
export function httpMetricsMiddleware() {
  return (req: RoutedRequest, res: ServerResponse, next: () => void): void => {
    const stop = httpRequestDuration.startTimer();
    let matched: string | null = null;
    let route: RoutedRequest['route'];
    Object.defineProperty(req, 'route', {
      configurable: true,
      enumerable: true,
      get: () => route,
      set(value: RoutedRequest['route']) {
        route = value;
        if (value && typeof value.path === 'string') matched = joinPath(req.baseUrl ?? '', value.path);
      },
    });
    // 'close' without 'finish': the client went away first (an SSE stream it closed); still
    // one observation per request.
    let observed = false;
    const observe = () => {
      if (observed) return;
      observed = true;
      stop({ method: req.method ?? 'UNKNOWN', route: matched ?? UNMATCHED_ROUTE, status: String(res.statusCode) });
    };
    res.once('finish', observe);
    res.once('close', observe);
    next();
  };
}

function joinPath(base: string, path: string): string {
  if (!base) return path;
  if (path === '/') return base;
  return base.replace(/\/$/, '') + path;
}

/** Serves the registry in Prometheus text format (works for Express and `node:http`). */
export async function metricsHandler(_req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const body = await registry.metrics();
    res.statusCode = 200;
    res.setHeader('Content-Type', registry.contentType);
    res.end(body);
  } catch (err) {
    res.statusCode = 500;
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.end(`metrics collection failed: ${err instanceof Error ? err.message : String(err)}\n`);
  }
}
