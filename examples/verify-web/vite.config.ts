import { defineConfig } from 'vite'

export default defineConfig({
  // Relative asset URLs: the built page works from any folder or static host.
  base: './',
  resolve: {
    // "browser" first: @tanba/c2pa then resolves to its browser entry (no native addon);
    // "development": workspace packages resolve to their TypeScript sources (no build needed).
    conditions: ['browser', 'development', 'module'],
  },
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2048,
  },
  worker: { format: 'es' },
})
