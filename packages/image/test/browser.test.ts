import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { resolveLimits } from '@tanba/core'
import { describe, expect, it } from 'vitest'
import { createImageAdapter, sniffImageFormat } from '../src/index.js'
import { createImageBrowserAdapter } from '../src/browser.js'

const FIXTURES = fileURLToPath(new URL('../../../fixtures/image/', import.meta.url))

// @tanba/image/browser: the format readers without sharp, ExifTool, fonts or the C2PA addon.
describe('@tanba/image/browser', () => {
  it('bundles for the browser without node: imports or media libraries', async () => {
    const result = await build({
      entryPoints: [fileURLToPath(new URL('../src/browser.ts', import.meta.url))],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      logLevel: 'silent',
      metafile: true,
      conditions: ['development'],
    })
    expect(result.errors).toEqual([])
    const inputs = Object.keys(result.metafile.inputs)
    expect(inputs.filter((i) => i.startsWith('node:') || /node_modules\/(sharp|exiftool-vendored|fontkit|@fontsource|@contentauth)\//.test(i) || /packages\/c2pa\//.test(i))).toEqual([])
  })

  it('extracts the same markers and computes the same digest as the Node adapter, for every fixture', async () => {
    const node = createImageAdapter({ c2pa: false })
    const browser = createImageBrowserAdapter()
    // The browser entry has no pixel decoder, so it does not search for the watermark; the Node side skips it too.
    const opts = { limits: resolveLimits(), c2pa: false, adapterOptions: { image: { watermark: false } } }
    const files = (await readdir(FIXTURES)).filter((f) => !f.endsWith('.md'))
    expect(files.length).toBeGreaterThan(10)
    for (const file of files) {
      const bytes = new Uint8Array(await readFile(join(FIXTURES, file)))
      const format = sniffImageFormat(bytes)!
      expect(format, file).toBeTruthy()
      expect(await browser.extract(bytes, format, opts), file).toEqual(await node.extract(bytes, format, opts))
      for (const method of ['tanba.image.data/2', 'tanba.image.data/1']) {
        const binding = { method, alg: 'sha-256', digest: '' } as const
        expect(await browser.digest(bytes, format, binding, opts), file).toBe(await node.digest(bytes, format, binding, opts))
      }
    }
  })

  it('cannot stamp, and says where stamping works', async () => {
    const bytes = new Uint8Array(await readFile(join(FIXTURES, 'photo.png')))
    await expect(createImageBrowserAdapter().stamp(bytes, {} as never)).rejects.toMatchObject({ code: 'TANBA_UNSUPPORTED_FORMAT' })
  })
})
