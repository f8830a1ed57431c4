import { Router } from 'express';
import { AppError, NotFoundError, SERVICE_ROUTES } from '@flowfarm/contracts';
import { LocalStorage } from '@flowfarm/storage';
import type { ApiDeps } from '../deps.js';
import { serveRoute } from '../serve-route.js';

/** GET /files/<key>?expires&signature — local-storage downloads; 403 when tampered or expired. Declared in contracts' routes/service.ts. */
export function filesRouter(deps: ApiDeps): Router {
  const router = Router();
  serveRoute(router, '', SERVICE_ROUTES.file, async (_req, res, { params: { key }, query }) => {
    const storage = deps.storage;
    if (!(storage instanceof LocalStorage)) throw new NotFoundError('files are served by the storage service');
    const check = storage.verify(key, query.expires, query.signature);
    if (check !== 'ok') throw new AppError(check === 'expired' ? 'url_expired' : 'bad_signature', 403, check === 'expired' ? 'this link has expired; get the job again for a fresh one' : 'invalid link signature');
    try {
      storage.filePath(key);
    } catch {
      throw new NotFoundError();
    }
    res.set('Cache-Control', 'private, max-age=3600');
    // Relative to root, so only the key's own parts are checked for dotfiles: the storage
    // folder itself may sit under one (the default DATA_DIR is ./.data).
    await new Promise<void>((resolve, reject) => {
      res.sendFile(key, { root: storage.root, dotfiles: 'deny' }, (err) => {
        if (!err) return resolve();
        reject((err as { code?: string }).code === 'ENOENT' ? new NotFoundError('file no longer exists') : err);
      });
    });
  });
  return router;
}
