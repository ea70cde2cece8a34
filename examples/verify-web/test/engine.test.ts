// The page's verification engine, run in Node on files stamped by the SDK: it must reach the
// same verdicts as the SDK's verify(), and C2PA findings from a reader must merge the same way.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readC2pa, close } from '@tanba/c2pa'
import { verify } from 'tanba'
import { checkFile, createBrowserRegistry, trustFromFiles, type C2paReader } from '../src/engine.js'
import sharp from 'sharp'
import type { PixelDecoder } from '@tanba/image/browser'
import { makeFixtures, type FixtureSet } from './fixtures.js'

/** The Node stand-in for the page's WebAssembly reader: the same c2pa-rs JSON, through the addon. */
const nodeReader: C2paReader = {
  async read(bytes, mediaType, trustAnchors) {
    const summary = await readC2pa(bytes, mediaType, { raw: true, ...(trustAnchors ? { trustAnchors } : {}) })
    return summary?.raw ?? null
  },
}

/** The Node stand-in for the page's canvas decoder: sharp, full-size RGBA as the canvas gives. */
const sharpPixels: PixelDecoder = async (bytes) => {
  const { data, info } = await sharp(bytes, { failOn: 'error' })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true })
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, channels: 4 }
}

let set: FixtureSet
let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tanba-verify-web-'))
  set = await makeFixtures(dir)
}, 120_000)
afterAll(async () => {
  await close()
  await rm(dir, { recursive: true, force: true })
})

describe('verify-web engine', () => {
  it('reaches the SDK verdict for every sample file', async () => {
    const trust = await trustFromFiles([{ name: 'ca.pem', text: set.caPem }])
    const registry = createBrowserRegistry({ decodePixels: sharpPixels })
    for (const e of set.expected) {
      const bytes = new Uint8Array(await readFile(join(dir, e.file)))
      const page = await checkFile(e.file, bytes, { profile: 'kz', trust: trust!.trust, trustPem: trust!.pem, c2pa: nodeReader }, registry)
      expect.soft(page.report.status, e.file).toBe(e.status)
      expect.soft(page.report.aiMarked, e.file).toBe(e.aiMarked)
      expect.soft(page.labelChecked, e.file).toBe(e.labelChecked ?? true)
      if (e.labelChecked === false) continue
      const sdk = await verify(bytes, { filename: e.file, trust: trust!.trust, profiles: ['kz'] })
      expect.soft(page.report.status, `${e.file} vs SDK`).toBe(sdk.status)
      expect.soft(page.report.binding?.valid, `${e.file} binding`).toBe(sdk.binding?.valid)
      expect.soft(page.report.signature?.trusted, `${e.file} trust`).toBe(sdk.signature?.trusted)
      // Same markers (standard, carrier, validity) as the SDK; the SDK may add inspect-only fields.
      const key = (m: { standard: string; carrier: string; valid: boolean | null }) => `${m.standard}@${m.carrier}=${m.valid}`
      expect.soft(page.report.markers.map(key).sort(), `${e.file} markers`).toEqual(sdk.markers.map(key).sort())
      if (e.watermark) expect.soft(page.report.watermark?.found, `${e.file} watermark`).toBe(true)
      if (e.c2pa) expect.soft(page.report.markers.some((m) => m.standard === 'c2pa' && m.valid === true), `${e.file} C2PA`).toBe(true)
    }
  }, 120_000)

  it('says what it could not check: PDF labels, trust without trust files, C2PA without a reader', async () => {
    const pdf = await checkFile('report-labelled.pdf', new Uint8Array(await readFile(join(dir, 'report-labelled.pdf'))), { profile: 'kz' })
    expect(pdf.labelChecked).toBe(false)
    expect(pdf.unchecked.map((u) => u.what)).toContain('pdf-label')
    const png = await checkFile('photo-labelled.png', new Uint8Array(await readFile(join(dir, 'photo-labelled.png'))), { profile: 'kz', c2pa: null })
    expect(png.report.status).toBe('valid')
    expect(png.report.signature?.trusted).toBe(false)
    expect(png.unchecked.map((u) => u.what).sort()).toEqual(['c2pa-unread', 'trust-none'])
  })

  it('reports a broken image label as invalid because the content changed', async () => {
    const page = await checkFile('photo-tampered.jpg', new Uint8Array(await readFile(join(dir, 'photo-tampered.jpg'))), { profile: 'kz', c2pa: nodeReader })
    expect(page.report.status).toBe('invalid')
    expect(page.report.binding?.valid).toBe(false)
    expect(page.report.messages.map((m) => m.rule)).toContain('binding.mismatch')
    // The C2PA manifest's hard binding sees the same change.
    expect(page.report.markers.find((m) => m.standard === 'c2pa')?.valid).toBe(false)
  })
})
