import { defineConfig } from 'tsup'

export default defineConfig({
  // worker.ts is loaded by path (new URL('./worker.js', import.meta.url)), so it is its own entry.
  entry: { index: 'src/index.ts', node: 'src/node.ts', worker: 'src/worker.ts' },
  format: ['esm'],
  dts: { entry: { index: 'src/index.ts', node: 'src/node.ts' } },
  clean: true,
  sourcemap: true,
  target: 'es2022',
})
