import { defineConfig } from 'tsup'

export default defineConfig({
  // index runs anywhere; node adds the Node.js stream wrapper.
  entry: { index: 'src/index.ts', node: 'src/node.ts' },
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
})
