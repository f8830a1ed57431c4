import express, { Router } from 'express';
import { BadRequestError, PROVENANCE_ROUTES, VERIFY_CONTENT_TYPES } from '@flowfarm/contracts';
import { ProvenanceKeyRegistry, verifyImageFile, watermarkIndexKey, type FileVerification } from '@flowfarm/trust';
import type { ApiDeps } from '../deps.js';
import { loadOwnJob } from '../job-views.js';
import { serveRoute } from '../serve-route.js';

/** GET /.well-known/flowfarm-keys.json — the farm's public provenance keys (no key needed). Declared in contracts' routes/trust.ts. */
export function wellKnownKeysRouter(deps: ApiDeps): Router {
  const registry = new ProvenanceKeyRegistry(deps.redis, deps.config.REDIS_PREFIX);
  const router = Router();
  serveRoute(router, '', PROVENANCE_ROUTES.keys, async (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300');
    res.json({ keys: await registry.list() });
  });
  return router;
}

/** POST /v1/verify (an image file as the body) and GET /v1/jobs/:id/provenance. */
export function provenanceRouter(deps: ApiDeps): Router {
  const registry = new ProvenanceKeyRegistry(deps.redis, deps.config.REDIS_PREFIX);
  const router = Router();

  const fileBody = express.raw({ type: VERIFY_CONTENT_TYPES, limit: deps.config.VERIFY_BODY_LIMIT });
  serveRoute(router, '/v1', PROVENANCE_ROUTES.verify, async (req, res, { query }) => {
    if (!Buffer.isBuffer(req.body) || req.body.length === 0) {
      throw new BadRequestError(`send the image file as the body with Content-Type ${VERIFY_CONTENT_TYPES.join(', ')}`);
    }
    const result = await verifyImageFile(new Uint8Array(req.body), await registry.keyRing(), { watermark: query.watermark ?? 'auto' });
    res.json(await withWatermarkJob(deps, result, req.tenant, req.isAdmin === true));
  }, [fileBody]);

  serveRoute(router, '/v1', PROVENANCE_ROUTES.jobProvenance, async (req, res, { params }) => {
    const record = await loadOwnJob(deps, req, params.id);
    res.json({
      job_id: record.id,
      status: record.status,
      data: record.outputs.map((output, index) => ({
        index,
        content_type: output.content_type,
        provenance: output.provenance ?? null,
        watermark: output.watermark ?? null,
      })),
    });
  });
  return router;
}

/** Adds the job a detected watermark points to — only the caller's own job (or any, for the admin key). */
async function withWatermarkJob(deps: ApiDeps, result: FileVerification, tenant: string | undefined, admin: boolean) {
  const { watermark, ...rest } = result;
  if (!watermark) return { ...rest, watermark: null };
  const summary = { found: watermark.found, scheme: watermark.scheme, payload: watermark.payload, scale: watermark.scale, job_id: null as string | null, image_index: null as number | null };
  if (watermark.found) {
    const target = await deps.redis.get(watermarkIndexKey(deps.config.REDIS_PREFIX, watermark.payload));
    const [jobId, index] = target?.split('/') ?? [];
    const record = jobId ? await deps.store.get(jobId) : null;
    if (record && (admin || record.tenant === tenant)) Object.assign(summary, { job_id: jobId, image_index: Number(index) });
  }
  return { ...rest, watermark: summary };
}

