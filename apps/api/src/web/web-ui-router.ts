// Serves the built web UI (the folder WEB_DIST_DIR names; by default @flowfarm/web's build):
// the playground at `/`, the operator view at `/ops`, and their hashed assets. The API only
// serves files; it never builds them (`npm install` runs the build as the root postinstall
// script).

import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { type Request, type Response, type Router } from 'express';

// Images may come from S3 presigned URLs on another host; scripts and styles only from here.
const CSP = "default-src 'self'; img-src 'self' data: blob: http: https:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";

export interface WebUiRouterOptions {
  /** Folder holding the built UI (index.html, ops.html, assets/): config.WEB_DIST_DIR. */
  distDir: string;
}

export function createWebUiRouter({ distDir }: WebUiRouterOptions): Router {
  const router = express.Router();

  const page = (file: string) => (_req: Request, res: Response) => {
    const filePath = path.join(distDir, file);
    if (!existsSync(filePath)) {
      res
        .status(503)
        .type('text/plain')
        .send(`The web UI is not built (${filePath} is missing): run "npm run build -w @flowfarm/web".\n`);
      return;
    }
    res.set({ 'cache-control': 'no-cache', 'content-security-policy': CSP, 'referrer-policy': 'no-referrer', 'x-content-type-options': 'nosniff' });
    res.sendFile(filePath);
  };

  router.get(['/', '/index.html'], page('index.html'));
  router.get(['/ops', '/ops/', '/ops.html'], page('ops.html'));
  // Vite names assets by content hash, so they can be cached for good.
  router.use('/assets', express.static(path.join(distDir, 'assets'), { immutable: true, maxAge: '1y', index: false, fallthrough: true }));
  return router;
}
