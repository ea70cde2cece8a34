// XMP carriers: byte-level fast paths (no re-encoding, no process), merging, extended XMP, and what ExifTool sees.
import { describe, expect, it } from 'vitest'
import sharp from 'sharp'
import { labelToXmpFields, stampWith, utf8, verifyWith, type StampOptions } from '@tanba/core'
import { imageFormat, sniffImageFormat } from '../src/index.js'
import { writeImageXmp } from '../src/carriers.js'
import { parseImage, essenceDigest } from '../src/parse.js'
import { parseJpeg, startsWithAscii, XMP_EXT_ID, XMP_ID } from '../src/jpeg/jpeg.js'
import { MAX_STANDARD_XMP } from '../src/jpeg/xmp.js'
import { parseWebp } from '../src/webp/webp.js'
import { exiftoolTags, fixture, limits, imageTestKit } from './helpers.js'

const { adapter, creds } = await imageTestKit()

const metadataOnly = (extra: Partial<StampOptions> = {}): StampOptions => ({
  signer: creds.signer,
  system: { name: 'XMP Test', version: '2.1', model: 'xmp-model' },
  owner: { name: 'Tanba Tests LLP', id: '123456789012' },
  prompt: { text: 'a lighthouse at dusk', writer: 'Test Writer' },
  c2pa: false,
  notice: { visible: false },
  ...extra,
})

describe('fast paths', () => {
  for (const name of ['photo.jpg', 'photo.png', 'photo.webp', 'animated.gif', 'drawing.svg']) {
    it(`${name}: writes XMP in-process without touching the image data`, async () => {
      const input = fixture(name)
      const format = sniffImageFormat(input)!
      const image = parseImage(input, format.id, limits)
      const { label } = await stampWith(adapter, input, format, metadataOnly())
      const written = await writeImageXmp(image, labelToXmpFields(label), limits)
      expect(written.via).toBe('fast')
      expect(essenceDigest(parseImage(written.bytes, format.id, limits))).toBe(essenceDigest(image))
      // Same pixels after decoding (SVG: same drawing).
      if (format.id !== 'svg') {
        const a = await sharp(input, { animated: true }).raw().toBuffer()
        const b = await sharp(written.bytes, { animated: true }).raw().toBuffer()
        expect(Buffer.compare(a, b)).toBe(0)
      }
    })
  }

  it('WebP: a simple-format file becomes extended with the XMP flag, and stays valid for ExifTool', async () => {
    const input = fixture('photo.webp')
    expect(parseWebp(input, limits).chunks[0]!.id).toBe('VP8 ')
    const { bytes } = await stampWith(adapter, input, imageFormat('webp')!, metadataOnly())
    const out = parseWebp(bytes, limits)
    expect(out.chunks[0]!.id).toBe('VP8X')
    expect(bytes[20]! & 0x04).toBe(0x04)
    const tags = await exiftoolTags(bytes, 'webp')
    expect(tags['ExifTool:Warning']).toBeUndefined()
    expect(tags['XMP-iptcExt:DigitalSourceType']).toMatch(/trainedAlgorithmicMedia$/)
  })
})

describe('what ExifTool reads', () => {
  for (const name of ['photo.jpg', 'photo.png', 'photo.webp', 'animated.gif', 'multipage.tif', 'photo.avif']) {
    it(`${name}: DigitalSourceType, the AI system and prompt fields, AIGC and the Tanba label`, async () => {
      const input = fixture(name)
      const format = sniffImageFormat(input)!
      const { bytes, label } = await stampWith(adapter, input, format, metadataOnly())
      const tags = await exiftoolTags(bytes, format.extensions[0]!)
      expect(tags['ExifTool:Warning']).toBeUndefined()
      expect(tags['XMP-iptcExt:DigitalSourceType']).toBe('http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia')
      expect(tags['XMP-iptcExt:AISystemUsed']).toBe('XMP Test (xmp-model)')
      expect(tags['XMP-iptcExt:AISystemVersionUsed']).toBe(2.1)
      expect(tags['XMP-iptcExt:AIPromptInformation']).toBe('a lighthouse at dusk')
      expect(JSON.parse(String(tags['XMP-TC260:Aigc']))).toMatchObject({ Label: '1', ContentProducer: '123456789012', ProduceID: label.id })
      expect(JSON.parse(String(tags['XMP-tanba:Label'])).id).toBe(label.id)
    }, 60_000)
  }
})

describe('merging with what the file has', () => {
  it('keeps foreign XMP properties and replaces the AI fields', async () => {
    const input = fixture('third-party-xmp.jpg')
    const { bytes } = await stampWith(adapter, input, imageFormat('jpeg')!, metadataOnly())
    const tags = await exiftoolTags(bytes, 'jpg')
    expect(tags['XMP-dc:Creator']).toBe('Example Studio')
    expect(tags['XMP-iptcExt:AISystemUsed']).toBe('XMP Test (xmp-model)')
    expect(parseJpeg(bytes, limits).xmp.filter((p) => p.carrier === 'xmp')).toHaveLength(1)
  })

  it('keeps Stable Diffusion and ComfyUI text chunks when stamping, warning included', async () => {
    for (const [name, standard] of [
      ['sd-parameters.png', 'sd-parameters'],
      ['comfyui.png', 'comfyui'],
    ] as const) {
      const { bytes } = await stampWith(adapter, fixture(name), imageFormat('png')!, metadataOnly({ notice: {} }))
      const report = await verifyWith(adapter, bytes, imageFormat('png')!, { trust: creds.trust })
      expect(report.status).toBe('valid')
      expect(report.markers.some((m) => m.standard === standard)).toBe(true)
    }
  })

  it('replaces its own label when stamping again (one packet, one label)', async () => {
    const first = await stampWith(adapter, fixture('photo.png'), imageFormat('png')!, metadataOnly())
    const second = await stampWith(adapter, first.bytes, imageFormat('png')!, metadataOnly())
    const image = parseImage(second.bytes, 'png', limits)
    expect(image.xmp).toHaveLength(1)
    expect(image.xmp[0]!.text.match(/<tanba:Label>/g)).toHaveLength(1)
    const report = await verifyWith(adapter, second.bytes, imageFormat('png')!, { trust: creds.trust })
    expect(report.label?.id).toBe(second.label.id)
  })
})

describe('JPEG extended XMP', () => {
  async function jpegWithBigXmp(): Promise<Uint8Array> {
    const big = 'lorem ipsum dolor sit amet '.repeat(4000) // ~108 KB, more than one segment holds
    const packet = `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"><dc:creator><rdf:Seq><rdf:li>Example Studio</rdf:li></rdf:Seq></dc:creator><photoshop:History>${big}</photoshop:History></rdf:Description></rdf:RDF></x:xmpmeta>`
    // Let the writer produce standard + extended segments, then start from that file.
    const base = parseJpeg(fixture('photo.jpg'), limits)
    const { splitXmp, extendedSegments } = await import('../src/jpeg/xmp.js')
    const { replaceJpegXmp, appSegment } = await import('../src/jpeg/jpeg.js')
    const { standard, extended } = splitXmp(packet, undefined, limits)
    return replaceJpegXmp(base, [appSegment(0xe1, utf8(XMP_ID + standard)), ...extendedSegments(extended)])
  }

  it('splits packets over 64 KB into standard and extended segments that ExifTool reassembles', async () => {
    const input = await jpegWithBigXmp()
    const { bytes, label } = await stampWith(adapter, input, imageFormat('jpeg')!, metadataOnly())
    const jpeg = parseJpeg(bytes, limits)
    const standard = jpeg.segments.filter((s) => s.marker === 0xe1 && startsWithAscii(bytes, s.dataOffset, XMP_ID))
    const ext = jpeg.segments.filter((s) => s.marker === 0xe1 && startsWithAscii(bytes, s.dataOffset, XMP_EXT_ID))
    expect(standard).toHaveLength(1)
    expect(standard[0]!.end - standard[0]!.dataOffset - XMP_ID.length).toBeLessThanOrEqual(MAX_STANDARD_XMP)
    expect(ext.length).toBeGreaterThanOrEqual(2)
    // Tanba's fields stay in the standard packet, which every reader sees.
    expect(jpeg.xmp[0]!.text).toContain('DigitalSourceType')
    expect(jpeg.xmp[0]!.text).toContain(label.id)
    const tags = await exiftoolTags(bytes, 'jpg')
    expect(tags['ExifTool:Warning']).toBeUndefined()
    expect(String(tags['XMP-photoshop:History']).length).toBeGreaterThan(100_000)
    expect(tags['XMP-dc:Creator']).toBe('Example Studio')
    expect(tags['XMP-iptcExt:DigitalSourceType']).toMatch(/trainedAlgorithmicMedia$/)
    const report = await verifyWith(adapter, bytes, imageFormat('jpeg')!, { trust: creds.trust })
    expect(report.status).toBe('valid')
  })
})
