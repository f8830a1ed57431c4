// The API reference cannot drift from the code: every route the app serves is registered from
// its declaration (serveRoute), every declared route is served, /openapi.json documents exactly
// the declared routes, and docs/api.md's route reference is what scripts/api-docs.ts generates
// from the document.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteSpec } from '@flowfarm/contracts';
import { API_ROUTES, SERVES_DECLARATION, buildApi, loadConfig, type BuiltApi } from '../apps/api/src/index.js';
import { recordRoutes, type RecordedRoute } from './support/route-table.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Pages of the web UI: HTML for people, not API routes. */
const WEB_PAGES = new Set(['GET /', 'GET /index.html', 'GET /ops', 'GET /ops/', 'GET /ops.html', 'GET /assets/{file}']);
/**
 * Registrations that are middleware of a declared route, not a route of their own: the job
 * body parser, mounted before the /v1 parser so a job body may be larger (JOB_BODY_LIMIT).
 */
const ROUTE_MIDDLEWARE = new Set(['POST /v1/jobs']);
const keyOf = (spec: RouteSpec) => `${spec.method.toUpperCase()} ${spec.path}`;

let api: BuiltApi;
let served: string[];
let registrations: RecordedRoute[];
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'ff-routes-'));
  const config = loadConfig({ REDIS_PREFIX: `ff-routes-${randomUUID()}`, DATA_DIR: dataDir, API_KEYS: 'k:t', ADMIN_API_KEY: 'admin' });
  const recorded = recordRoutes(() => {
    // the routes of a real API process, without the webhook delivery worker (nothing is delivered here)
    api = buildApi(config, { logger: pino({ level: 'silent' }) });
    return api.app;
  }, SERVES_DECLARATION);
  served = recorded.routes.filter((route) => !WEB_PAGES.has(route));
  registrations = recorded.registrations.filter(({ route }) => !WEB_PAGES.has(route));
  await api.deps.redis.ping();
});

afterAll(async () => {
  await api?.close();
  await rm(dataDir, { recursive: true, force: true });
});

function documented(doc: { paths: Record<string, Record<string, unknown>> }): string[] {
  const methods = new Set(['get', 'put', 'post', 'delete', 'patch']);
  return Object.entries(doc.paths)
    .flatMap(([p, ops]) => Object.keys(ops).filter((m) => methods.has(m)).map((m) => `${m.toUpperCase()} ${p}`))
    .sort();
}

describe('API reference and code agree', () => {
  it('finds the routes the app serves (the recorder itself works)', () => {
    expect(served).toContain('POST /v1/jobs');
    expect(served).toContain('GET /v1/jobs/{id}/events');
    expect(served).toContain('GET /files/{key}');
    expect(served.length).toBeGreaterThan(30);
  });

  it('serves every route from its declaration, and nothing else', () => {
    // each registration carries the declaration serveRoute registered it from, of the same method and path
    const handWritten = registrations.filter(({ route, declarations }) => declarations.length === 0 && !ROUTE_MIDDLEWARE.has(route)).map(({ route }) => route);
    const misplaced = registrations.flatMap(({ route, declarations }) => (declarations as RouteSpec[]).filter((spec) => keyOf(spec) !== route).map((spec) => `${keyOf(spec)} served at ${route}`));
    const declared = API_ROUTES.map(keyOf).sort();
    expect({ handWritten, misplaced, declaredButNotServed: declared.filter((r) => !served.includes(r)), servedButNotDeclared: served.filter((r) => !declared.includes(r)) }).toEqual({
      handWritten: [],
      misplaced: [],
      declaredButNotServed: [],
      servedButNotDeclared: [],
    });
  });

  it('/openapi.json documents exactly the declared routes', async () => {
    const res = await request(api.app).get('/openapi.json');
    expect(documented(res.body as { paths: Record<string, Record<string, unknown>> })).toEqual(API_ROUTES.map(keyOf).sort());
  });

  it('the web pages left out of the document are pages: HTML for people', async () => {
    for (const page of ['/', '/ops']) {
      const res = await request(api.app).get(page);
      // 503 text/plain when apps/web is not built; either way not an API answer
      expect(res.type, page).toMatch(/^text\/(html|plain)$/);
    }
  });

  it("docs/api.md's route reference is generated from /openapi.json", async () => {
    const generated = execFileSync(process.execPath, ['--conditions=development', '--import', 'tsx', path.join(root, 'scripts/api-docs.ts'), '--print'], { cwd: root, encoding: 'utf8' });
    const committed = await readFile(path.join(root, 'docs/api.md'), 'utf8');
    expect(committed, 'run: npx tsx --conditions=development scripts/api-docs.ts').toContain(generated.trim());
  });
});
