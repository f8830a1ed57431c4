// Lists every route an Express app serves, as (METHOD, OpenAPI path) pairs, by recording how
// its routers are put together while the app is built. Express 5 keeps no path strings on its
// router layers, so the recording wraps Router.prototype.route and .use for the duration of
// one build. Each route also says which route declarations its handlers serve (the mark
// serveRoute puts on the handler it registers). Used by the drift test between the code and
// /openapi.json.
import { createRequire } from 'node:module';

interface RouteObject {
  methods: Record<string, boolean>;
  stack: Array<{ handle: unknown }>;
}

interface RouterProto {
  route(this: object, path: string | string[]): RouteObject;
  use(this: object, ...args: unknown[]): unknown;
}

const requireFromExpress = createRequire(createRequire(import.meta.url).resolve('express'));
// the same Router class express itself uses
const RouterClass = requireFromExpress('router') as { prototype: RouterProto };

/** `/jobs/:id` → `/jobs/{id}`; Express 5 wildcards `/*key` → `/{key}`. */
function toOpenApiPath(path: string): string {
  return path.replace(/:(\w+)/g, '{$1}').replace(/\*(\w+)/g, '{$1}');
}

/** One registration of a served route: `METHOD /path` and the declarations its handlers carry under `mark`. */
export interface RecordedRoute {
  route: string;
  declarations: unknown[];
}

export function recordRoutes(build: () => { router?: unknown } & object, mark?: symbol): { app: unknown; routes: string[]; registrations: RecordedRoute[] } {
  const proto = RouterClass.prototype;
  const originalRoute = proto.route;
  const originalUse = proto.use;
  const ownRoutes = new Map<object, Array<{ paths: string[]; route: RouteObject }>>();
  const children = new Map<object, Array<{ path: string; child: object }>>();
  proto.route = function (this: object, path) {
    const route = originalRoute.call(this, path);
    const list = ownRoutes.get(this) ?? [];
    list.push({ paths: Array.isArray(path) ? path : [path], route });
    ownRoutes.set(this, list);
    return route;
  };
  proto.use = function (this: object, ...args: unknown[]) {
    const path = typeof args[0] === 'string' ? args[0] : '/';
    for (const fn of args.flat()) {
      if (typeof fn === 'function' && Array.isArray((fn as { stack?: unknown }).stack)) {
        const list = children.get(this) ?? [];
        list.push({ path, child: fn });
        children.set(this, list);
      }
    }
    return originalUse.apply(this, args);
  };
  let app: { router?: unknown } & object;
  try {
    app = build();
  } finally {
    proto.route = originalRoute;
    proto.use = originalUse;
  }
  const routes = new Set<string>();
  const registrations: RecordedRoute[] = [];
  const join = (a: string, b: string) => (a === '/' ? b : b === '/' ? a : `${a}${b}`);
  const walk = (router: object, prefix: string, seen: Set<object>) => {
    if (seen.has(router)) return;
    seen.add(router);
    for (const { paths, route } of ownRoutes.get(router) ?? []) {
      for (const method of Object.keys(route.methods)) {
        if (method === '_all') continue;
        for (const path of paths) {
          const key = `${method.toUpperCase()} ${toOpenApiPath(join(prefix, path))}`;
          routes.add(key);
          const declarations = mark ? route.stack.map((layer) => (layer.handle as Record<symbol, unknown> | null)?.[mark]).filter((d) => d !== undefined) : [];
          registrations.push({ route: key, declarations });
        }
      }
    }
    for (const { path, child } of children.get(router) ?? []) walk(child, join(prefix, path), seen);
  };
  walk((app as { router: object }).router, '/', new Set());
  return { app, routes: [...routes].sort(), registrations };
}
