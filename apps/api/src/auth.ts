// Authentication for every /v1 route, and the conventions other routers of this app reuse:
//
//   import { requireTenant, requireAdmin } from '../auth.js';
//   router.get('/v1/thing', (req, res) => { const tenant = requireTenant(req); … });
//   router.use('/ops', requireAdmin);
//
// `authenticate` (mounted by createApp on /v1 before any extra router) sets `req.tenant` for a
// tenant key and `req.isAdmin` for ADMIN_API_KEY. Routers mounted elsewhere (e.g. the web UI)
// can mount `deps.auth.authenticate` themselves; it is idempotent.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ForbiddenError, UnauthorizedError, type JobPriority } from '@flowfarm/contracts';
import type { ApiKeyStore } from './api-key-store.js';

declare module 'express-serve-static-core' {
  interface Request {
    /** Tenant of the API key, set by `authenticate`. */
    tenant?: string;
    /** Stable id of the key used (for rate limits and logs; never the key itself). */
    apiKeyId?: string;
    /** True when the request carries ADMIN_API_KEY. */
    isAdmin?: boolean;
    /** The key's own highest job priority (unset: the tenant's applies). */
    apiKeyMaxPriority?: JobPriority;
  }
}

export interface Auth {
  /** Sets req.tenant / req.isAdmin from `Authorization: Bearer <key>`; 401 when the key is missing or unknown. */
  authenticate: RequestHandler;
  /** Like authenticate, but lets requests without a key through (req.tenant stays unset). */
  identify: RequestHandler;
}

function bearer(req: Request): string | null {
  const header = req.get('authorization');
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match ? match[1] : null;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

export function createAuth(options: { staticKeys: Map<string, string>; adminKey?: string; keyStore: ApiKeyStore }): Auth {
  // Keys are compared by their SHA-256 in constant time (equal lengths, no early exit); the
  // configured keys' digests are computed once, the presented key's once per request.
  const staticKeys = [...options.staticKeys].map(([key, tenant]) => ({ digest: digest(key), tenant, id: `static_${digest(key).toString('hex').slice(0, 12)}` }));
  const adminDigest = options.adminKey ? digest(options.adminKey) : null;

  async function resolve(req: Request): Promise<boolean> {
    if (req.tenant || req.isAdmin) return true;
    const key = bearer(req);
    if (!key) return false;
    const presented = digest(key);
    if (adminDigest && timingSafeEqual(presented, adminDigest)) {
      req.isAdmin = true;
      req.apiKeyId = 'admin';
      return true;
    }
    const known = staticKeys.find((s) => timingSafeEqual(presented, s.digest));
    const found = known ?? (await options.keyStore.lookup(key));
    if (!found) return false;
    req.tenant = found.tenant;
    req.apiKeyId = found.id;
    if ('max_priority' in found && found.max_priority) req.apiKeyMaxPriority = found.max_priority;
    return true;
  }

  return {
    authenticate: (req, _res, next) => {
      resolve(req).then((ok) => next(ok ? undefined : new UnauthorizedError()), next);
    },
    identify: (req, _res, next) => {
      resolve(req).then(() => next(), next);
    },
  };
}

/** The caller's tenant; throws 401 when the request has no tenant key (e.g. only the admin key). */
export function requireTenant(req: Request): string {
  if (!req.tenant) throw new UnauthorizedError(req.isAdmin ? 'this route needs a tenant API key, not the admin key' : undefined);
  return req.tenant;
}

/** Middleware for operator routes: 401 without a key, 403 with a tenant key. Mount after authenticate/identify. */
export function requireAdmin(req: Request, _res: Response, next: NextFunction): void {
  if (req.isAdmin) return next();
  next(req.tenant ? new ForbiddenError() : new UnauthorizedError());
}
