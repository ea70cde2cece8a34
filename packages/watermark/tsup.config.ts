import { defineConfig } from 'tsup'

export default defineConfig({
  // index runs anywhere (pure TypeScript on pixel arrays); node adds the file-based ledger.
  entry: { index: 'src/index.ts', node: 'src/node.ts' },
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
})
