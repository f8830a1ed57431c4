// Routes outside /v1 that need no key: this document, Prometheus metrics and the signed
// download links of local storage.
import { z } from 'zod';
import { defineRoute, problem } from './declare.js';

export const SERVICE_ROUTES = {
  openapi: defineRoute({
    method: 'get',
    path: '/openapi.json',
    summary: 'This document',
    auth: 'none',
    responses: { '200': { description: 'OpenAPI 3.1', schema: { type: 'object' } } },
  }),
  metrics: defineRoute({
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics of this API process (text exposition format)',
    auth: 'none',
    responses: { '200': { description: 'metrics', content: { 'text/plain': { schema: { type: 'string' } } } } },
  }),
  file: defineRoute({
    method: 'get',
    path: '/files/{key}',
    summary: 'Download a stored file through its signed link (local storage; with S3 the links point at the bucket)',
    auth: 'none',
    params: z.object({ key: z.string().describe('tenant/job/file, as in the output URL (slashes included)') }),
    restParam: 'key',
    // a missing or malformed part is a bad link (403), as a wrong signature is, not a 422
    query: z.object({
      expires: z.string().regex(/^\d+$/).catch('').describe('Unix time the link expires at'),
      signature: z.string().catch('').describe("the link's signature"),
    }),
    responses: {
      '200': {
        description: "the file: a job's image, or a dataset's image, manifest.jsonl, annotations.json or summary.json",
        headers: { 'Cache-Control': { description: 'private, max-age=3600' } },
        content: Object.fromEntries(['image/png', 'image/jpeg', 'image/webp', 'application/x-ndjson', 'application/json'].map((type) => [type, { schema: { type: 'string', format: 'binary' } }])),
      },
      '403': problem('bad signature or expired link (`url_expired`: get the job again for a fresh link)', { codes: ['bad_signature', 'url_expired'] }),
      '404': problem('file no longer exists, or storage is not local', { codes: ['not_found'] }),
    },
  }),
};
