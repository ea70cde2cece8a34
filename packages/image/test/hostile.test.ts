// Hostile input: truncation, wrong magic, decompression bombs, deep nesting, loops, broken C2PA.
// Every case must end quickly with a typed error or a clean report, never a crash or a hang.
import { describe, expect, it } from 'vitest'
import { readdirSync } from 'node:fs'
import { concatBytes, crc32, isTanbaError, stampWith, utf8, verifyWith, type FormatInfo, type StampOptions } from '@tanba/core'
import { imageFormat, sniffImageFormat } from '../src/index.js'
import { parseJpeg } from '../src/jpeg/jpeg.js'
import { parseHeif } from '../src/heif/heif.js'
import { FIXTURES, fixture, limits, imageTestKit } from './helpers.js'

const { adapter, creds } = await imageTestKit()

const f = (id: string) => imageFormat(id)!
const options = (extra: Partial<StampOptions> = {}): StampOptions => ({ signer: creds.signer, system: { name: 'Hostile' }, owner: { name: 'Tests' }, c2pa: false, ...extra })

/** The code of the typed error a stamp throws, or "ok". Anything else fails the test. */
async function stampOutcome(bytes: Uint8Array, format: FormatInfo, extra: Partial<StampOptions> = {}): Promise<string> {
  try {
    await stampWith(adapter, bytes, format, options(extra))
    return 'ok'
  } catch (error) {
    if (!isTanbaError(error)) throw error
    return error.code
  }
}

function png(chunks: [string, Uint8Array][]): Uint8Array {
  const parts: Uint8Array[] = [Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)]
  for (const [type, data] of chunks) {
    const body = concatBytes(utf8(type), data)
    const len = new Uint8Array(4)
    new DataView(len.buffer).setUint32(0, data.length)
    const crc = new Uint8Array(4)
    new DataView(crc.buffer).setUint32(0, crc32(body))
    parts.push(len, body, crc)
  }
  return concatBytes(...parts)
}

function ihdr(width: number, height: number): Uint8Array {
  const d = new Uint8Array(13)
  const v = new DataView(d.buffer)
  v.setUint32(0, width)
  v.setUint32(4, height)
  d[8] = 8
  d[9] = 2
  return d
}

const IDAT = Uint8Array.of(0x78, 0x9c, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01)

describe('truncated files', () => {
  for (const name of readdirSync(FIXTURES).filter((n) => !n.endsWith('.md'))) {
    it(`${name}: every cut gives a typed error or a clean report`, async () => {
      const bytes = fixture(name)
      const format = sniffImageFormat(bytes)!
      const cuts = new Set<number>([0, 1, 2, 4, 8, 12, 16, 24, 32, 64, 100])
      for (let k = 1; k < 16; k++) cuts.add(Math.floor((bytes.length * k) / 16))
      cuts.add(bytes.length - 1)
      for (const cut of cuts) {
        if (cut >= bytes.length) continue
        const part = bytes.slice(0, cut)
        const report = await verifyWith(adapter, part, format)
        expect(['error', 'unlabelled']).toContain(report.status)
        if (report.status === 'error') expect(report.error!.code).toMatch(/^TANBA_/)
        // A cut that only drops trailing whitespace (an SVG's final newline) leaves a complete file.
        const whole = !new TextDecoder('latin1').decode(bytes.subarray(cut)).trim()
        expect(await stampOutcome(part, format)).toMatch(whole ? /^ok$/ : /^TANBA_(MALFORMED_INPUT|UNSUPPORTED_FORMAT)$/)
      }
    }, 20_000)
  }
})

describe('wrong magic and unknown formats', () => {
  it('says what it expected and what it found', async () => {
    await expect(stampWith(adapter, fixture('photo.png'), f('jpeg'), options())).rejects.toThrow(/Expected JPEG data but the bytes are PNG/)
    await expect(stampWith(adapter, new Uint8Array(0), f('png'), options())).rejects.toThrow(/the input is empty/)
    await expect(stampWith(adapter, utf8('hello, world'), f('gif'), options())).rejects.toMatchObject({ code: 'TANBA_MALFORMED_INPUT' })
    const bmp = concatBytes(utf8('BM'), new Uint8Array(12), Uint8Array.of(40, 0, 0, 0), new Uint8Array(40))
    expect(sniffImageFormat(bmp)?.id).toBe('bmp')
    await expect(stampWith(adapter, bmp, f('bmp'), options())).rejects.toMatchObject({ code: 'TANBA_UNSUPPORTED_FORMAT' })
  })

  it('refuses an animated PNG and a HEIC visible warning with a clear unsupported-format error', async () => {
    const apng = png([
      ['IHDR', ihdr(1, 1)],
      ['acTL', Uint8Array.of(0, 0, 0, 2, 0, 0, 0, 0)],
      ['IDAT', IDAT],
      ['IEND', new Uint8Array(0)],
    ])
    await expect(stampWith(adapter, apng, f('png'), options())).rejects.toThrow(/animated PNG/)
    expect(await stampOutcome(apng, f('png'), { notice: { visible: false } })).toBe('ok')
  })
})

describe('decompression bombs: huge declared sizes are refused before decoding', () => {
  const bombs: [string, () => Uint8Array | Promise<Uint8Array>, string][] = [
    ['PNG 100000×100000', () => png([['IHDR', ihdr(100_000, 100_000)], ['IDAT', IDAT], ['IEND', new Uint8Array(0)]]), 'png'],
    [
      'JPEG 65500×65500',
      () => {
        const b = fixture('photo.jpg').slice()
        const sof = parseJpeg(b, limits).segments.find((s) => s.marker === 0xc0)!
        new DataView(b.buffer).setUint16(sof.dataOffset + 1, 65500)
        new DataView(b.buffer).setUint16(sof.dataOffset + 3, 65500)
        return b
      },
      'jpeg',
    ],
    [
      'GIF of 2000 frames of 400×400',
      () => {
        const head = concatBytes(utf8('GIF89a'), Uint8Array.of(0x90, 0x01, 0x90, 0x01, 0, 0, 0))
        const frame = Uint8Array.of(0x2c, 0, 0, 0, 0, 0x90, 0x01, 0x90, 0x01, 0, 2, 2, 0x4c, 0x01, 0)
        return concatBytes(head, ...Array.from({ length: 2000 }, () => frame), Uint8Array.of(0x3b))
      },
      'gif',
    ],
    [
      'WebP canvas 16384×16384',
      async () => {
        const b = (await stampWith(adapter, fixture('photo.webp'), f('webp'), options({ notice: { visible: false } }))).bytes.slice()
        b.set([0xff, 0x3f, 0x00, 0xff, 0x3f, 0x00], 24)
        return b
      },
      'webp',
    ],
    [
      'AVIF 100000×100000',
      () => {
        const b = fixture('photo.avif').slice()
        const at = new TextDecoder('latin1').decode(b).indexOf('ispe')
        new DataView(b.buffer).setUint32(at + 8, 100_000)
        new DataView(b.buffer).setUint32(at + 12, 100_000)
        return b
      },
      'avif',
    ],
  ]
  for (const [name, make, id] of bombs) {
    it(`${name}: TooLargeError on stamp, error report on verify`, async () => {
      const bytes = await make()
      expect(await stampOutcome(bytes, f(id))).toBe('TANBA_TOO_LARGE')
      const report = await verifyWith(adapter, bytes, f(id))
      expect(report.status).toBe('error')
      expect(report.error?.code).toBe('TANBA_TOO_LARGE')
    }, 5_000)
  }

  it('passes limits.maxPixels to the decoder as well (sharp limitInputPixels)', async () => {
    expect(await stampOutcome(fixture('photo.jpg'), f('jpeg'), { limits: { maxPixels: 50_000 } })).toBe('TANBA_TOO_LARGE')
    expect(parseHeif(fixture('photo.avif'), 'avif', limits).width).toBe(192)
  })
})

describe('deep nesting, loops and floods', () => {
  it('XMP nested 100,000 deep in a PNG is refused without recursing', async () => {
    const deep = `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="">${'<a:b xmlns:a="urn:a">'.repeat(100_000)}${'</a:b>'.repeat(100_000)}</rdf:Description></rdf:RDF></x:xmpmeta>`
    const itxt = concatBytes(utf8('XML:com.adobe.xmp'), Uint8Array.of(0, 0, 0, 0, 0), utf8(deep))
    const bytes = png([['IHDR', ihdr(1, 1)], ['iTXt', itxt], ['IDAT', IDAT], ['IEND', new Uint8Array(0)]])
    const report = await verifyWith(adapter, bytes, f('png'))
    expect(report.error?.code).toBe('TANBA_TOO_LARGE')
    expect(await stampOutcome(bytes, f('png'), { notice: { visible: false } })).toBe('TANBA_TOO_LARGE')
  }, 5_000)

  it('an SVG nested 100,000 groups deep is handled without recursion', async () => {
    const svg = utf8(`<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100">${'<g>'.repeat(100_000)}<rect width="10" height="10"/>${'</g>'.repeat(100_000)}</svg>`)
    expect((await verifyWith(adapter, svg, f('svg'))).status).toBe('unlabelled')
    expect(await stampOutcome(svg, f('svg'), { notice: { languages: ['en'] } })).toBe('ok')
  }, 10_000)

  it('a TIFF whose first directory lost its strip offsets still keeps its label in IFD 0 (found by the hardening sweep)', async () => {
    const b = fixture('multipage.tif').slice()
    const v = new DataView(b.buffer)
    const first = v.getUint32(4, true)
    let renamed = false
    for (let i = 0; i < v.getUint16(first, true); i++) {
      const e = first + 2 + i * 12
      if (v.getUint16(e, true) === 273) (v.setUint16(e, 277, true), (renamed = true)) // StripOffsets -> SamplesPerPixel
    }
    expect(renamed).toBe(true)
    const stamped = await stampWith(adapter, b, f('tiff'), options({ notice: { visible: false } }))
    const report = await verifyWith(adapter, stamped.bytes, f('tiff'), { trust: creds.trust, c2pa: false })
    expect(report.status).toBe('valid')
  })

  it('a TIFF whose directory chain loops is a malformed-input error', async () => {
    const b = fixture('multipage.tif').slice()
    const v = new DataView(b.buffer)
    const first = v.getUint32(4, true)
    const count = v.getUint16(first, true)
    v.setUint32(first + 2 + count * 12, first, true)
    const report = await verifyWith(adapter, b, f('tiff'))
    expect(report.error).toMatchObject({ code: 'TANBA_MALFORMED_INPUT' })
    expect(report.error!.message).toMatch(/loops/)
  })

  it('a JPEG flooded with 120,000 empty segments hits limits.maxChunks', async () => {
    const b = fixture('photo.jpg')
    const flood = new Uint8Array(120_000 * 4)
    for (let i = 0; i < 120_000; i++) flood.set([0xff, 0xfe, 0x00, 0x02], i * 4)
    const bytes = concatBytes(b.subarray(0, 2), flood, b.subarray(2))
    expect((await verifyWith(adapter, bytes, f('jpeg'))).error?.code).toBe('TANBA_TOO_LARGE')
  })

  it('an animated WebP whose VP8X chunk is gone is malformed, not a TypeError (found by fuzzing)', async () => {
    const b = fixture('animated.webp').slice()
    expect(String.fromCharCode(...b.subarray(12, 16))).toBe('VP8X')
    b[12] = 0x52 // "RP8X": an unknown chunk; only ANMF frames remain
    const report = await verifyWith(adapter, b, f('webp'))
    expect(report.error).toMatchObject({ code: 'TANBA_MALFORMED_INPUT' })
    expect(report.error!.message).toMatch(/VP8X/)
    expect(await stampOutcome(b, f('webp'), { notice: { visible: false } })).toBe('TANBA_MALFORMED_INPUT')
  })

  it('an ISO BMFF box that claims more bytes than the file has is malformed', async () => {
    const b = fixture('photo.avif').slice()
    new DataView(b.buffer).setUint32(32, 0x7fffffff) // the "meta" box size
    expect((await verifyWith(adapter, b, f('avif'))).error?.code).toBe('TANBA_MALFORMED_INPUT')
  })
})

describe('a broken C2PA manifest', () => {
  it('is reported as an unreadable C2PA marker; the process survives and the rest is still read', async () => {
    const b = fixture('third-party-xmp.jpg')
    const junk = concatBytes(utf8('JP'), Uint8Array.of(0, 1, 0, 0, 0, 1), Uint8Array.of(0, 0, 0x40, 0), utf8('jumbjumd'), new Uint8Array(16), utf8('c2pa\0'), new Uint8Array(200).fill(0xee))
    const app11 = concatBytes(Uint8Array.of(0xff, 0xeb, (junk.length + 2) >> 8, (junk.length + 2) & 0xff), junk)
    const bytes = concatBytes(b.subarray(0, 2), app11, b.subarray(2))
    const report = await verifyWith(adapter, bytes, f('jpeg'))
    expect(report.status).toBe('unlabelled')
    const c2pa = report.markers.find((m) => m.standard === 'c2pa')
    expect(c2pa?.carrier).toBe('jpeg:APP11')
    expect(c2pa?.valid === false || c2pa?.valid === null).toBe(true)
    expect(report.markers.some((m) => m.standard === 'iptc')).toBe(true)
  }, 30_000)
})
