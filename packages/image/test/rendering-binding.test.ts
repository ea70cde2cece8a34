// The binding covers what a renderer uses (issue 13 §2): for every format, each piece of metadata
// that changes the rendered pixels is changed the way an attacker would (ExifTool or a byte-level
// edit), a real renderer (libvips via sharp, librsvg, Chromium) shows that the pixels change, and
// verify must say invalid. The same edit on a label bound with the old method (tanba.image.data/1)
// verifies valid: that is the hole tanba.image.data/2 closes.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import sharp from 'sharp'
import { concatBytes, createStampContext, labelToXmpFields, readIsoBoxes, stampWith, utf8, verifyWith, type FormatInfo, type StampOptions } from '@tanba/core'
import { writeImageXmp } from '../src/carriers.js'
import { imageFormat } from '../src/index.js'
import { essenceDigest, IMAGE_BINDING_V1, parseImage } from '../src/parse.js'
import { parseJpeg, appSegment } from '../src/jpeg/jpeg.js'
import { parsePng, pngChunk } from '../src/png/png.js'
import { parseGif } from '../src/gif/gif.js'
import { fixture, limits, imageTestKit } from './helpers.js'

const { adapter, creds } = await imageTestKit()
const f = (id: string) => imageFormat(id)!
const hasTool = (name: string) => spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0
const loud = (what: string) => console.warn(`\n${'!'.repeat(70)}\n!! SKIPPING ${what}\n${'!'.repeat(70)}\n`)

const stampOptions = (extra: Partial<StampOptions> = {}): StampOptions => ({ signer: creds.signer, system: { name: 'Binding Test' }, owner: { name: 'Tanba Tests' }, c2pa: false, ...extra })

function withTemp<T>(name: string, bytes: Uint8Array, run: (path: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'tanba-binding-'))
  try {
    const path = join(dir, name)
    writeFileSync(path, bytes)
    return run(path)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** ExifTool, as an attacker (or a careless tool) would run it: `exiftool -overwrite_original ARGS file`. */
function exiftoolEdit(bytes: Uint8Array, ext: string, args: string[]): Uint8Array {
  return withTemp(`in.${ext}`, bytes, (path) => {
    execFileSync('exiftool', ['-q', '-q', '-overwrite_original', ...args, path])
    return new Uint8Array(readFileSync(path))
  })
}

const ICC_P3 = (() => {
  const dir = mkdtempSync(join(tmpdir(), 'tanba-icc-'))
  const out = join(dir, 'p3.icc')
  writeFileSync(join(dir, 'p.jpg'), fixture('display-p3.jpg'))
  writeFileSync(out, execFileSync('exiftool', ['-b', '-ICC_Profile', join(dir, 'p.jpg')]))
  return out
})()

/** libvips' rendering through sharp: orientation applied, ICC converted to sRGB, scaled to 48x48 RGB. */
async function vipsPixels(bytes: Uint8Array, frame = 0): Promise<Buffer> {
  return sharp(bytes, { page: frame }).rotate().resize(48, 48, { fit: 'fill' }).removeAlpha().toColourspace('srgb').raw().toBuffer()
}

function meanDiff(a: Buffer, b: Buffer): number {
  expect(a.length).toBe(b.length)
  let d = 0
  for (let i = 0; i < a.length; i++) d += Math.abs(a[i]! - b[i]!)
  return d / a.length
}

/** Chromium's rendering of an image opened on its own, as a PNG screenshot. */
function chromiumScreenshot(bytes: Uint8Array, ext: string): Buffer {
  return withTemp(`page.${ext}`, bytes, (path) => {
    const shot = join(path, '..', 'shot.png')
    execFileSync('/usr/bin/chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--hide-scrollbars', `--user-data-dir=${join(path, '..', 'profile')}`, '--window-size=400,300', `--screenshot=${shot}`, `file://${path}`], { stdio: 'ignore', timeout: 120_000 })
    return readFileSync(shot)
  })
}

async function pngPixels(png: Buffer): Promise<Buffer> {
  return sharp(png).removeAlpha().raw().toBuffer()
}

function rsvg(bytes: Uint8Array): Buffer {
  return withTemp('in.svg', bytes, (path) => execFileSync('rsvg-convert', ['-w', '240', path]))
}

async function stampBoth(input: Uint8Array, format: FormatInfo, extra: Partial<StampOptions> = {}): Promise<{ v2: Uint8Array; v1: Uint8Array }> {
  const v2 = (await stampWith(adapter, input, format, stampOptions(extra))).bytes
  return { v2, v1: await relabelV1(v2, format, extra) }
}

/** The same stamped file with its label re-signed over the old binding method, as labels made before tanba.image.data/2 are. */
async function relabelV1(stamped: Uint8Array, format: FormatInfo, extra: Partial<StampOptions>): Promise<Uint8Array> {
  const image = parseImage(stamped, format.id, limits)
  const current = (await verifyWith(adapter, stamped, format, { trust: creds.trust })).label!
  const ctx = createStampContext(format, stampOptions(extra))
  const label = await ctx.sign({ method: IMAGE_BINDING_V1, alg: 'sha-256', digest: essenceDigest(image, IMAGE_BINDING_V1) }, current.notice)
  return (await writeImageXmp(image, labelToXmpFields(label), limits)).bytes
}

interface Row {
  format: string
  fixture: string
  /** Made by another tool instead of read from the fixture. */
  input?: () => Promise<Uint8Array>
  what: string
  ext: string
  extra?: Partial<StampOptions>
  attack(stamped: Uint8Array): Uint8Array | Promise<Uint8Array>
  /** The renderer that shows the change: returns a number > 0 when the pixels differ. Omitted where no renderer here shows it (the docs name the one that does). */
  shows?(before: Uint8Array, after: Uint8Array): Promise<number>
  needs?: string
  rule?: string
}

const vipsShows = async (a: Uint8Array, b: Uint8Array) => meanDiff(await vipsPixels(a), await vipsPixels(b))

function insertAfterSoi(bytes: Uint8Array, segment: Uint8Array): Uint8Array {
  return concatBytes(bytes.subarray(0, 2), segment, bytes.subarray(2))
}

function insertPngChunk(bytes: Uint8Array, type: string, data: Uint8Array): Uint8Array {
  const png = parsePng(bytes, limits)
  const at = png.chunks[0]!.end // after IHDR
  return concatBytes(bytes.subarray(0, at), pngChunk(type, data), bytes.subarray(at))
}

const ROWS: Row[] = [
  {
    format: 'jpeg', fixture: 'photo.jpg', ext: 'jpg', what: 'an inserted Adobe APP14 segment (transform 0: no YCbCr conversion)',
    attack: (b) => insertAfterSoi(b, appSegment(0xee, concatBytes(utf8('Adobe'), Uint8Array.of(0, 100, 0, 0, 0, 0, 0)))),
    shows: vipsShows,
  },
  { format: 'jpeg', fixture: 'photo.jpg', ext: 'jpg', what: 'an ICC profile added with ExifTool', attack: (b) => exiftoolEdit(b, 'jpg', [`-ICC_Profile<=${ICC_P3}`]), shows: vipsShows },
  { format: 'jpeg', fixture: 'photo.jpg', ext: 'jpg', what: 'EXIF orientation changed with ExifTool', attack: (b) => exiftoolEdit(b, 'jpg', ['-n', '-IFD0:Orientation=3']), shows: vipsShows },
  {
    format: 'jpeg', fixture: 'photo.jpg', ext: 'jpg', what: 'a second image appended after EOI (where Ultra HDR keeps its gain map)',
    attack: (b) => concatBytes(b, fixture('grey.jpg')),
  },
  { format: 'png', fixture: 'photo.png', ext: 'png', what: 'an iCCP profile added with ExifTool', attack: (b) => exiftoolEdit(b, 'png', [`-ICC_Profile<=${ICC_P3}`]), shows: vipsShows },
  { format: 'png', fixture: 'photo.png', ext: 'png', what: 'eXIf orientation added with ExifTool', attack: (b) => exiftoolEdit(b, 'png', ['-n', '-Orientation=3']), shows: vipsShows },
  {
    format: 'png', fixture: 'photo.png', ext: 'png', what: 'an inserted gAMA chunk (gamma 0.1)', needs: 'chromium',
    attack: (b) => insertPngChunk(b, 'gAMA', Uint8Array.of(0, 0, 0x27, 0x10)),
    shows: async (a, b) => meanDiff(await pngPixels(chromiumScreenshot(a, 'png')), await pngPixels(chromiumScreenshot(b, 'png'))),
  },
  { format: 'png', fixture: 'photo.png', ext: 'png', what: 'an inserted cICP chunk (BT.2020 PQ)', attack: (b) => insertPngChunk(b, 'cICP', Uint8Array.of(9, 16, 0, 1)) },
  { format: 'webp', fixture: 'photo.webp', ext: 'webp', what: 'an ICCP profile added with ExifTool', attack: (b) => exiftoolEdit(b, 'webp', [`-ICC_Profile<=${ICC_P3}`]), shows: vipsShows },
  { format: 'webp', fixture: 'photo.webp', ext: 'webp', what: 'EXIF orientation added with ExifTool', attack: (b) => exiftoolEdit(b, 'webp', ['-n', '-Orientation=3']), shows: vipsShows },
  {
    format: 'gif', fixture: 'animated.gif', ext: 'gif', what: 'the NETSCAPE2.0 loop count changed (plays once instead of forever)',
    attack: (b) => {
      const gif = parseGif(b, limits)
      const ext = gif.blocks.find((x) => x.app === 'NETSCAPE2.0')!
      const out = b.slice()
      out[ext.offset + 16] = 1 // loop count, little-endian, after 21 FF 0B "NETSCAPE2.0" 03 01
      out[ext.offset + 17] = 0
      return out
    },
    shows: async (a, b) => Math.abs(((await sharp(a).metadata()).loop ?? -1) - ((await sharp(b).metadata()).loop ?? -1)),
  },
  {
    format: 'gif', fixture: 'animated.gif', ext: 'gif', what: 'an inserted ICCRGBG1012 colour profile extension (Chromium applies it)',
    attack: (b) => {
      const gif = parseGif(b, limits)
      const icc = new Uint8Array(readFileSync(ICC_P3))
      const subs: Uint8Array[] = []
      for (let i = 0; i < icc.length; i += 255) subs.push(Uint8Array.of(Math.min(255, icc.length - i)), icc.subarray(i, i + 255))
      const ext = concatBytes(Uint8Array.of(0x21, 0xff, 11), utf8('ICCRGBG1012'), ...subs, Uint8Array.of(0))
      return concatBytes(b.subarray(0, gif.headerEnd), ext, b.subarray(gif.headerEnd))
    },
  },
  { format: 'tiff', fixture: 'multipage.tif', ext: 'tif', what: 'an ICC profile added with ExifTool', attack: (b) => exiftoolEdit(b, 'tif', [`-ICC_Profile<=${ICC_P3}`]), shows: vipsShows },
  { format: 'tiff', fixture: 'multipage.tif', ext: 'tif', what: 'Orientation changed with ExifTool', attack: (b) => exiftoolEdit(b, 'tif', ['-n', '-IFD0:Orientation=3']), shows: vipsShows },
  {
    format: 'avif', fixture: 'photo.png', ext: 'avif', what: 'the colour profile in colr (prof) changed in place (red primary moved)',
    input: async () => new Uint8Array(await sharp(fixture('photo.png')).withIccProfile('p3').avif({ effort: 0 }).toBuffer()),
    attack: (b) => {
      const meta = readIsoBoxes(b, 0, b.length, { maxChunks: 1000 }).find((x) => x.type === 'meta')!
      const at = findBox(b, meta.dataOffset + 4, meta.end, 'colr')
      expect(at, 'the AVIF sharp wrote with an ICC profile has a colr box').toBeGreaterThan(0)
      expect(['prof', 'rICC']).toContain(new TextDecoder().decode(b.subarray(at + 8, at + 12)))
      const icc = at + 12
      const view = new DataView(b.buffer, b.byteOffset)
      const out = b.slice()
      const tags = view.getUint32(icc + 128)
      for (let k = 0; k < tags; k++) {
        const entry = icc + 132 + k * 12
        if (new TextDecoder().decode(b.subarray(entry, entry + 4)) !== 'rXYZ') continue
        const data = icc + view.getUint32(entry + 4)
        new DataView(out.buffer).setInt32(data + 8 + 4, 0x00004000) // Y of the red primary: 0.25
        new DataView(out.buffer).setInt32(data + 8, 0x00002000) // X: 0.125
      }
      return out
    },
    shows: vipsShows,
  },
  {
    format: 'svg', fixture: 'drawing.svg', ext: 'svg', what: 'a <style> hiding the notice, placed in <metadata> beside the XMP',
    attack: (b) => utf8(new TextDecoder().decode(b).replace('<metadata>', '<metadata><style>[id$="-notice"]{display:none}</style>')),
    shows: async (a, b) => meanDiff(await pngPixels(rsvg(a)), await pngPixels(rsvg(b))),
  },
  {
    format: 'svg', fixture: 'drawing.svg', ext: 'svg', what: 'the same <style> in <metadata>, as Chromium renders it', needs: 'chromium',
    attack: (b) => utf8(new TextDecoder().decode(b).replace('<metadata>', '<metadata><style>[id$="-notice"]{display:none}</style>')),
    shows: async (a, b) => meanDiff(await pngPixels(chromiumScreenshot(a, 'svg')), await pngPixels(chromiumScreenshot(b, 'svg'))),
  },
  {
    format: 'svg', fixture: 'drawing.svg', ext: 'svg', what: 'a <style> inside the XMP packet itself (SVG namespace by default)', rule: 'binding.hidden-content',
    attack: (b) => utf8(new TextDecoder().decode(b).replace('</rdf:RDF>', '<style>[id$="-notice"]{display:none}</style></rdf:RDF>')),
    shows: async (a, b) => meanDiff(await pngPixels(rsvg(a)), await pngPixels(rsvg(b))),
  },
  {
    format: 'svg', fixture: 'drawing.svg', ext: 'svg', what: 'an xml-stylesheet processing instruction in the prolog', needs: 'chromium',
    attack: (b) => utf8(`<?xml-stylesheet type="text/css" href="data:text/css,%5Bid%24%3D%22-notice%22%5D%7Bdisplay%3Anone%7D"?>\n${new TextDecoder().decode(b).replace(/^<\?xml[^?]*\?>\s*/, '')}`),
    shows: async (a, b) => meanDiff(await pngPixels(chromiumScreenshot(a, 'svg')), await pngPixels(chromiumScreenshot(b, 'svg'))),
  },
]

function findBox(bytes: Uint8Array, from: number, to: number, type: string): number {
  for (const box of readIsoBoxes(bytes, from, to, { maxChunks: 10000 })) {
    if (box.type === type) return box.offset
    if (['iprp', 'ipco'].includes(box.type)) {
      const inner = findBox(bytes, box.dataOffset, box.end, type)
      if (inner > 0) return inner
    }
  }
  return -1
}

describe('rendering metadata is inside the binding (tanba.image.data/2)', () => {
  const stamped = new Map<string, Promise<{ v2: Uint8Array; v1: Uint8Array }>>()
  const get = (row: Row) => {
    const key = `${row.format}:${row.fixture}:${JSON.stringify(row.extra ?? {})}`
    if (!stamped.has(key)) stamped.set(key, (async () => stampBoth(row.input ? await row.input() : fixture(row.fixture), f(row.format), row.extra))())
    return stamped.get(key)!
  }
  for (const row of ROWS) {
    it(`${row.format}: ${row.what}`, async () => {
      if (row.needs === 'chromium' && !existsSync('/usr/bin/chromium')) return loud(`the Chromium check of "${row.what}": /usr/bin/chromium is missing (apt-get install chromium)`)
      if (!hasTool('exiftool') || !hasTool('rsvg-convert')) return loud('binding tests: exiftool or rsvg-convert is missing')
      const { v2, v1 } = await get(row)
      const format = f(row.format)
      expect((await verifyWith(adapter, v2, format, { trust: creds.trust })).status).toBe('valid')
      const attacked = await row.attack(v2)
      if (row.shows) expect(await row.shows(v2, attacked), 'the renderer shows the change').toBeGreaterThan(0.5)
      const report = await verifyWith(adapter, attacked, format, { trust: creds.trust })
      expect(report.status).toBe('invalid')
      expect(report.messages.map((m) => m.rule)).toContain(row.rule ?? 'binding.mismatch')
      // The old method left this out: the same edit of a v1 label still verifies (reported as legacy).
      const old = await verifyWith(adapter, await row.attack(v1), format, { trust: creds.trust })
      if (row.rule !== 'binding.hidden-content') {
        expect(old.binding?.method).toBe(IMAGE_BINDING_V1)
        expect(old.status).toBe('valid')
        expect(old.messages.map((m) => m.rule)).toContain('binding.legacy')
      }
    }, 240_000)
  }
})

describe('benign edits stay valid', () => {
  for (const [format, name, ext] of [['jpeg', 'photo.jpg', 'jpg'], ['png', 'photo.png', 'png'], ['webp', 'photo.webp', 'webp'], ['tiff', 'multipage.tif', 'tif'], ['gif', 'animated.gif', 'gif']] as const) {
    it(`${format}: ExifTool edits of title, artist and copyright keep the label valid`, async () => {
      const { v2 } = await stampBoth(fixture(name), f(format), { notice: { visible: false } })
      const edited = exiftoolEdit(v2, ext, ['-XMP-dc:Title=Edited', '-Artist=Someone', '-Copyright=Someone', '-XMP-dc:Rights=Someone'])
      const report = await verifyWith(adapter, edited, f(format), { trust: creds.trust })
      expect(report.messages.filter((m) => m.fatal)).toEqual([])
      expect(report.status).toBe('valid')
    }, 240_000)
  }
})
