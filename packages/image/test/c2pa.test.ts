// C2PA manifests through @tanba/c2pa: signed for every format, with the digital source type and the Tanba label.
import { describe, expect, it } from 'vitest'
import { stampWith, verifyWith, type Origin } from '@tanba/core'
import { createTestCredentials } from '@tanba/core/testing'
import { sniffImageFormat } from '../src/index.js'
import { corpus, exiftoolEdit, fixture, limits, imageTestKit } from './helpers.js'

const { adapter, creds } = await imageTestKit()

async function stampC2pa(bytes: Uint8Array, origin: Origin = 'generated', visible = true) {
  const format = sniffImageFormat(bytes)!
  const result = await stampWith(adapter, bytes, format, {
    signer: creds.signer,
    system: { name: 'C2PA Test', model: 'c2pa-model' },
    owner: { name: 'Tanba Tests LLP', id: '123456789012' },
    origin,
    notice: { visible },
    adapterOptions: { image: { tiffC2pa: true } },
  })
  return { ...result, format }
}

type Summary = { digitalSourceTypes: string[]; claimGenerator: string | null; trusted: boolean }

describe('C2PA manifests', () => {
  const samples: [string, () => Uint8Array, boolean][] = [
    ['photo.jpg', () => fixture('photo.jpg'), true],
    ['alpha.png', () => fixture('alpha.png'), true],
    ['photo.webp', () => fixture('photo.webp'), true],
    ['animated.gif', () => fixture('animated.gif'), true],
    ['multipage.tif', () => fixture('multipage.tif'), true],
    ['photo.avif', () => fixture('photo.avif'), true],
    ['drawing.svg', () => fixture('drawing.svg'), true],
    ['sample1.heic (metadata only)', () => corpus('media/sample1.heic'), false],
  ]
  for (const [name, bytes, visible] of samples) {
    it(`${name}: carries a manifest with c2pa.created, trainedAlgorithmicMedia and the same Tanba label`, async () => {
      const { bytes: out, label, carriers, format } = await stampC2pa(bytes(), 'generated', visible)
      expect(carriers).toEqual(['xmp', 'c2pa'])
      // The verifier's trust store doubles as the C2PA trust list.
      const report = await verifyWith(adapter, out, format, { trust: creds.trust })
      expect(report.status).toBe('valid')
      expect(report.messages.filter((m) => m.fatal)).toEqual([])
      const marker = report.markers.find((m) => m.standard === 'c2pa')!
      expect(marker).toMatchObject({ aiMarked: true, valid: true })
      const summary = marker.value as Summary
      expect(summary.digitalSourceTypes).toEqual(['http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia'])
      expect(summary.trusted).toBe(true)
      // Both copies of the label are found, and they agree (core reports "label.carriers-disagree" otherwise).
      const found = await (await adapter.open(out, format, { limits, adapterOptions: {} })).read({ c2pa: true })
      expect(found.labels.map((l) => [l.carrier.replace(/^.*:tanba\.label$/, 'c2pa:tanba.label'), l.label?.id])).toEqual([
        ['xmp', label.id],
        ['c2pa:tanba.label', label.id],
      ])
      expect(report.markers.filter((m) => m.standard === 'tanba').every((m) => m.valid === true)).toBe(true)
      expect(report.messages.map((m) => m.rule)).not.toContain('label.carriers-disagree')
    }, 60_000)
  }

  it('leaves C2PA out of TIFF unless asked, so libvips can still open the file', async () => {
    const input = fixture('multipage.tif')
    const format = sniffImageFormat(input)!
    const result = await stampWith(adapter, input, format, { signer: creds.signer, system: { name: 'C2PA Test' }, owner: { name: 'Tanba Tests LLP' } })
    expect(result.carriers).toEqual(['xmp'])
    expect(result.messages.map((m) => m.rule)).toContain('c2pa.unsupported-format')
    const sharp = (await import('sharp')).default
    expect((await sharp(result.bytes, { pages: -1 }).raw().toBuffer()).length).toBeGreaterThan(0)
    const forced = await stampC2pa(input)
    expect(forced.carriers).toEqual(['xmp', 'c2pa'])
    await expect(sharp(forced.bytes).raw().toBuffer()).rejects.toThrow(/ImageLength/)
  }, 60_000)

  it('declares an AI edit for origin "modified"', async () => {
    const { bytes, format } = await stampC2pa(fixture('photo.jpg'), 'modified')
    const report = await verifyWith(adapter, bytes, format, { trust: creds.trust })
    const summary = report.markers.find((m) => m.standard === 'c2pa')!.value as Summary
    expect(summary.digitalSourceTypes).toEqual(['http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia'])
  }, 60_000)

  it('reports an untrusted signer when the C2PA trust list does not hold the root', async () => {
    const { bytes, format } = await stampC2pa(fixture('photo.png'))
    const stranger = await createTestCredentials()
    const report = await verifyWith(adapter, bytes, format, { trust: creds.trust, adapterOptions: { c2pa: { trustAnchors: stranger.caPem } } })
    expect(report.status).toBe('valid')
    expect(report.messages.map((m) => m.rule)).toContain('c2pa.signingCredential.untrusted')
    expect(report.markers.find((m) => m.standard === 'c2pa')).toMatchObject({ valid: true, value: { trusted: false } })
  }, 60_000)

  it('after an ExifTool edit the Tanba label stays valid while C2PA reports the change', async () => {
    const { bytes, format } = await stampC2pa(fixture('photo.jpg'))
    const edited = await exiftoolEdit(bytes, 'jpg')
    const report = await verifyWith(adapter, edited, format, { trust: creds.trust })
    expect(report.status).toBe('valid')
    expect(report.binding?.valid).toBe(true)
    const marker = report.markers.find((m) => m.standard === 'c2pa')!
    expect(marker.valid).toBe(false)
  }, 60_000)
})
