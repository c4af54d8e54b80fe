// Vite builds the demo into dist/, which examples/backend serves. @powersync/web runs SQLite
// (wa-sqlite, WebAssembly) and the sync client in web workers: workers must be ES modules, and the
// dev server must not pre-bundle the packages that carry them. Run from this folder (its root).
import { defineConfig } from 'vite';

export default defineConfig({
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
  worker: { format: 'es' },
  optimizeDeps: { exclude: ['@powersync/web', '@journeyapps/wa-sqlite'] },
  logLevel: 'warn',
});
