// Every image in the shared corpus, and the third-party-labelled JPEGs, stamped and verified.
import { describe, expect, it } from 'vitest'
import { stampWith, verifyWith } from '@tanba/core'
import { sniffImageFormat } from '../src/index.js'
import { corpus, exiftoolTags, render, imageTestKit } from './helpers.js'

const { adapter, creds } = await imageTestKit()

// The shared corpus as it is now (earth_apollo17.jpg, once listed here, is no longer in it).
const MEDIA = ['no_manifest.jpg', 'sample1.png', 'sample1.webp', 'sample1.gif', 'sample1.avif', 'sample1.heic', 'MultiPage.tif', 'TUSCANY.TIF', 'sample1.svg']

describe('corpus/media images', () => {
  for (const name of MEDIA) {
    it(`${name}: stamps (warning + XMP), verifies valid, ExifTool shows DigitalSourceType and AIGC`, async () => {
      const input = corpus(`media/${name}`)
      const format = sniffImageFormat(input)!
      expect(format).toBeDefined()
      const before = await verifyWith(adapter, input, format, { trust: creds.trust })
      expect(before.status).toBe('unlabelled')
      const visible = format.id !== 'heic'
      const result = await stampWith(adapter, input, format, {
        signer: creds.signer,
        system: { name: 'Corpus Test', model: 'm1' },
        owner: { name: 'Tanba Tests LLP', id: '123456789012' },
        profiles: ['kz', 'cn'],
        c2pa: false,
        notice: { visible },
      })
      expect(sniffImageFormat(result.bytes)?.id).toBe(format.id)
      const report = await verifyWith(adapter, result.bytes, format, { trust: creds.trust })
      expect(report.status).toBe('valid')
      expect(report.signature).toMatchObject({ valid: true, trusted: true })
      expect(report.markers.map((m) => m.standard)).toEqual(expect.arrayContaining(['tanba', 'iptc', 'tc260']))
      if (visible) {
        expect(result.label.notice).toMatchObject({ method: 'overlay', langs: ['kk', 'ru', 'zh'] })
        expect(report.profiles.cn?.pass).toBe(true)
        await render(`corpus-${name}`, result.bytes, { page: format.id === 'gif' ? 10 : undefined })
      }
      if (format.id !== 'svg') {
        const tags = await exiftoolTags(result.bytes, format.extensions[0]!)
        expect(tags['XMP-iptcExt:DigitalSourceType']).toBe('http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia')
        expect(String(tags['XMP-TC260:Aigc'])).toContain('"ProduceID"')
      }
    }, 60_000)
  }
})

describe('corpus/third-party-labelled JPEGs', () => {
  for (const name of ['C.jpg', 'CA.jpg']) {
    it(`${name}: reports the existing C2PA manifest and its trust problem, then stamps keeping it as the parent`, async () => {
      const input = corpus(`third-party-labelled/${name}`)
      const format = sniffImageFormat(input)!
      const before = await verifyWith(adapter, input, format, { trust: creds.trust })
      expect(before.status).toBe('unlabelled')
      const c2pa = before.markers.find((m) => m.standard === 'c2pa')
      expect(c2pa).toBeDefined()
      expect(c2pa!.detail).toMatch(/signer not trusted/)
      expect(c2pa).toMatchObject({ valid: true, value: { trusted: false } })
      expect(before.messages.some((m) => m.rule === 'c2pa.signingCredential.untrusted')).toBe(true)

      const result = await stampWith(adapter, input, format, {
        signer: creds.signer,
        system: { name: 'Corpus Test' },
        owner: { name: 'Tanba Tests LLP' },
        origin: 'modified',
      })
      expect(result.carriers).toEqual(['xmp', 'c2pa'])
      const report = await verifyWith(adapter, result.bytes, format, { trust: creds.trust })
      expect(report.status).toBe('valid')
      const manifest = report.markers.find((m) => m.standard === 'c2pa')!
      const summary = manifest.value as { ingredients: { relationship?: string }[]; digitalSourceTypes: string[]; manifests: unknown[] }
      expect(summary.ingredients.some((i) => i.relationship === 'parentOf')).toBe(true)
      expect(summary.manifests.length).toBeGreaterThan(1)
      expect(summary.digitalSourceTypes).toContain('http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia')
      await render(`third-party-${name}`, result.bytes)
    }, 60_000)
  }
})
