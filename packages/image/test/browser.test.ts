import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { resolveLimits, stampWith } from '@tanba/core'
import { createTestCredentials } from '@tanba/core/testing'
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
    const opts = { limits: resolveLimits(), adapterOptions: { image: { watermark: false } } }
    const read = { c2pa: false }
    const files = (await readdir(FIXTURES)).filter((f) => !f.endsWith('.md'))
    expect(files.length).toBeGreaterThan(10)
    for (const file of files) {
      const bytes = new Uint8Array(await readFile(join(FIXTURES, file)))
      const format = sniffImageFormat(bytes)!
      expect(format, file).toBeTruthy()
      const [b, n] = [await browser.open(bytes, format, opts), await node.open(bytes, format, opts)]
      expect(await b.read(read), file).toEqual(await n.read(read))
      for (const method of ['tanba.image.data/2', 'tanba.image.data/1']) {
        const binding = { method, alg: 'sha-256', digest: '' } as const
        expect(await b.digest(binding), file).toBe(await n.digest(binding))
      }
    }
  })

  it('is read-only: it declares so, its assets have no stamp, and stampWith refuses with a typed error', async () => {
    const bytes = new Uint8Array(await readFile(join(FIXTURES, 'photo.png')))
    const adapter = createImageBrowserAdapter()
    expect(adapter.capabilities.stamp).toBe(false)
    const format = sniffImageFormat(bytes)!
    const asset = await adapter.open(bytes, format, { limits: resolveLimits(), adapterOptions: {} })
    expect(asset.stamp).toBeUndefined()
    const creds = await createTestCredentials()
    const options = { signer: creds.signer, system: { name: 'Gen' }, owner: { name: 'Owner LLP' } }
    await expect(stampWith(adapter, bytes, format, options)).rejects.toMatchObject({ code: 'TANBA_UNSUPPORTED_FORMAT', details: { readOnly: true } })
  })
})
