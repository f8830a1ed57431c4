import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

// Two pages, both served by the API: the playground at `/` and the operator view at `/ops`.
export default defineConfig({
  root: here,
  base: '/',
  build: {
    outDir: resolve(here, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: {
      input: { playground: resolve(here, 'index.html'), ops: resolve(here, 'ops.html') },
    },
  },
});
