import { copyFile } from 'node:fs/promises'
import { defineConfig } from 'tsup'

export default defineConfig({
  entry: ['src/index.ts', 'src/browser.ts'],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  // The pixel decoder is plain JavaScript that runs as its own process; ship it as is beside index.js.
  onSuccess: async () => {
    await copyFile('src/pixels-worker.mjs', 'dist/pixels-worker.mjs')
  },
})
