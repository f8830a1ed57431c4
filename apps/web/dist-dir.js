// Where this package's built files are (`vite build` writes them to ./dist). The API serves
// them from here by default (WEB_DIST_DIR overrides it), so it asks this package instead of
// knowing where the web app lies on disk.
import { fileURLToPath } from 'node:url';

export const webDistDir = fileURLToPath(new URL('./dist', import.meta.url));
