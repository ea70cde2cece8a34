// The visible warning: glyphs, fitting, orientation, frames, colour, alpha, format and size; renders to look at.
import { describe, expect, it } from 'vitest'
import sharp from 'sharp'
import { NOTICE_TEXTS, SHORT_NOTICE_TEXTS, stampWith, verifyWith, type StampOptions } from '@tanba/core'
import { imageFormat, sniffImageFormat } from '../src/index.js'
import { missingCharacters, shapeText } from '../src/notice/fonts.js'
import { layoutNotice, type LayoutInput } from '../src/notice/layout.js'
import { storedRect } from '../src/notice/draw.js'
import { parseJpeg } from '../src/jpeg/jpeg.js'
import { parsePng } from '../src/png/png.js'
import { fixture, limits, meanLuma, render, imageTestKit } from './helpers.js'

const { adapter, creds } = await imageTestKit()

const options = (extra: Partial<StampOptions> = {}): StampOptions => ({
  signer: creds.signer,
  system: { name: 'Notice Test' },
  owner: { name: 'Tanba Tests LLP', id: '123456789012' },
  c2pa: false,
  ...extra,
})

async function stamp(bytes: Uint8Array, extra: Partial<StampOptions> = {}) {
  const format = sniffImageFormat(bytes)!
  const result = await stampWith(adapter, bytes, format, options(extra))
  return { ...result, format }
}

const ALL = ['kk', 'ru', 'uz', 'zh', 'en']
const lines = (langs = ALL) => langs.map((l) => ({ lang: l, text: NOTICE_TEXTS[l]!.generated, short: SHORT_NOTICE_TEXTS[l]!.generated }))
const layoutInput = (width: number, height: number, extra: Partial<LayoutInput> = {}): LayoutInput => ({
  width,
  height,
  lines: lines(['kk', 'ru']),
  minTextHeight: 0.05,
  placements: ['top-left'],
  style: { plate: 'dark', icon: null },
  ...extra,
})

describe('glyphs from the bundled fonts', () => {
  it('covers every built-in notice text, including Kazakh and Uzbek letters, with real glyphs', () => {
    for (const table of [NOTICE_TEXTS, SHORT_NOTICE_TEXTS]) {
      for (const pair of Object.values(table)) {
        expect(missingCharacters(pair.generated)).toEqual([])
        expect(missingCharacters(pair.modified)).toEqual([])
      }
    }
    // Every letter maps to a real glyph (id 0 is .notdef, the empty box).
    for (const ch of 'әғқңөұүһіӘҒҚҢӨҰҮҺІoʻgʻOʻGʻʼ人工智能生成合成ЁЙЪ') expect(shapeText(ch).glyphs.every((g) => g.glyph.id !== 0)).toBe(true)
  })

  it('refuses text the fonts cannot draw instead of drawing empty boxes', async () => {
    await expect(stamp(fixture('photo.jpg'), { notice: { text: 'تم إنشاؤه بالذكاء الاصطناعي' } })).rejects.toMatchObject({ code: 'TANBA_INVALID_OPTION' })
  })
})

describe('fitting the warning to the picture', () => {
  const inside = (l: ReturnType<typeof layoutNotice>, w: number, h: number) => {
    for (const p of l.plates) {
      expect(p.x).toBeGreaterThanOrEqual(0)
      expect(p.y).toBeGreaterThanOrEqual(0)
      expect(p.x + p.width).toBeLessThanOrEqual(w)
      expect(p.y + p.height).toBeLessThanOrEqual(h)
    }
  }

  it('keeps the text at least 5% of the shortest side and inside the picture, from an icon to 100 megapixels', () => {
    for (const [w, h] of [
      [64, 64],
      [200, 150],
      [1024, 683],
      [4000, 3000],
      [10000, 10000],
      [4000, 120],
      [120, 4000],
      [20000, 5000],
    ] as const) {
      for (const placement of ['top-left', 'top-right', 'bottom-left', 'bottom-right', 'top', 'bottom'] as const) {
        const l = layoutNotice(layoutInput(w, h, { lines: lines(), placements: [placement] }))
        inside(l, w, h)
        expect(l.belowMinimum).toBe(false)
        expect(l.height).toBeGreaterThanOrEqual(0.05)
        expect(l.fontSize).toBeGreaterThanOrEqual(0.05 * Math.min(w, h) - 1e-9)
      }
    }
  })

  it('uses the short texts rather than unreadable ones on a 64×64 icon', () => {
    const l = layoutNotice(layoutInput(64, 64, { lines: lines() }))
    expect(l.shortened).toBe(true)
    expect(l.fontSize).toBeGreaterThanOrEqual(7)
    expect(l.rows).toContain('ЖИ жасаған')
  })

  it('wraps long lines and never splits a line wider than the picture off its edge', () => {
    const l = layoutNotice(layoutInput(300, 1000, { lines: lines(['kk', 'ru']) }))
    expect(l.rows.length).toBeGreaterThan(2)
    expect(l.rows.join(' ')).toBe(`${NOTICE_TEXTS.kk!.generated} ${NOTICE_TEXTS.ru!.generated}`)
  })

  it('refuses a picture too small for any readable text', () => {
    expect(() => layoutNotice(layoutInput(12, 12))).toThrow(/too small/)
  })

  it('maps displayed rectangles to stored ones for every EXIF orientation', () => {
    const W = 300
    const H = 200
    const r = { x: 10, y: 20, width: 50, height: 30 }
    expect(storedRect(1, W, H, r)).toEqual(r)
    expect(storedRect(6, W, H, r)).toEqual({ x: 20, y: 240, width: 30, height: 50 })
    expect(storedRect(3, W, H, r)).toEqual({ x: 240, y: 150, width: 50, height: 30 })
  })
})

describe('stamped pixels', () => {
  it('is upright as displayed for every EXIF orientation (plate in the displayed top-left corner)', async () => {
    for (let o = 1; o <= 8; o++) {
      const stored = o >= 5 ? { width: 160, height: 240 } : { width: 240, height: 160 }
      const input = new Uint8Array(await sharp({ create: { ...stored, channels: 3, background: '#f0f0f0' } }).withMetadata({ orientation: o }).jpeg({ quality: 90 }).toBuffer())
      const { bytes, label } = await stamp(input)
      expect(label.notice?.placement).toBe('top-left')
      const meta = await sharp(bytes).metadata()
      expect(meta.orientation ?? 1).toBe(o)
      // Displayed 240×160: the plate is dark at the top left, the opposite corner stays light.
      expect(await meanLuma(bytes, { left: 4, top: 4, width: 40, height: 14 })).toBeLessThan(120)
      expect(await meanLuma(bytes, { left: 180, top: 110, width: 50, height: 40 })).toBeGreaterThan(200)
      // The text runs left to right: the plate is wider than tall as displayed.
      if (o === 6) await render('orientation-6', bytes)
    }
  }, 60_000)

  it('draws into every frame of an animated GIF and WebP, keeping frame count, delays and loop', async () => {
    for (const name of ['animated.gif', 'animated.webp']) {
      const input = fixture(name)
      const { bytes } = await stamp(input)
      const before = await sharp(input, { animated: true }).metadata()
      const after = await sharp(bytes, { animated: true }).metadata()
      expect(after.pages).toBe(before.pages)
      expect(after.delay).toEqual(before.delay)
      expect(after.loop).toBe(before.loop)
      for (let page = 0; page < after.pages!; page++) {
        expect(await meanLuma(bytes, { left: 6, top: 6, width: 30, height: 10 }, page)).toBeLessThan(110)
      }
      await render(`animated-${name}-frame3`, bytes, { page: 3 })
    }
  }, 60_000)

  it('draws on every page of a multi-page TIFF', async () => {
    const { bytes } = await stamp(fixture('multipage.tif'))
    const meta = await sharp(bytes, { pages: -1 }).metadata()
    expect(meta.pages).toBe(3)
    for (let page = 0; page < 3; page++) expect(await meanLuma(bytes, { left: 6, top: 6, width: 40, height: 10 }, page)).toBeLessThan(110)
    await render('multipage-page2', bytes, { page: 2 })
  }, 60_000)

  it('keeps transparency, the colour profile, greyscale and palette encodings', async () => {
    const alpha = await stamp(fixture('alpha.png'))
    const a = await sharp(alpha.bytes).ensureAlpha().raw().toBuffer({ resolveWithObject: true })
    expect(a.info.channels).toBe(4)
    expect(a.data[(a.info.width * a.info.height - 1) * 4 + 3]).toBe(0) // bottom-right corner still transparent
    await render('alpha-png', alpha.bytes)

    const p3In = fixture('display-p3.jpg')
    const p3 = await stamp(p3In)
    expect(Buffer.compare((await sharp(p3.bytes).metadata()).icc!, (await sharp(p3In).metadata()).icc!)).toBe(0)

    const grey = await stamp(fixture('grey.jpg'))
    expect(parseJpeg(grey.bytes, limits).components).toBe(1)

    const palette = await stamp(fixture('palette.png'))
    expect(parsePng(palette.bytes, limits).colourType).toBe(3)
  }, 60_000)

  it('keeps the format and the JPEG quality, subsampling and progressive setting, so files do not balloon', async () => {
    const input = new Uint8Array(await sharp(fixture('photo.png')).resize(1200, 900).jpeg({ quality: 78, progressive: true, chromaSubsampling: '4:2:0' }).toBuffer())
    const { bytes } = await stamp(input)
    const a = parseJpeg(input, limits)
    const b = parseJpeg(bytes, limits)
    expect(Math.abs(a.quality - b.quality)).toBeLessThanOrEqual(1)
    expect(b.progressive).toBe(true)
    expect(b.lumaSampling).toEqual(a.lumaSampling)
    expect(bytes.length).toBeLessThan(input.length * 1.6)
  }, 60_000)

  it('fits a 4000×120 strip and a 64×64 icon, with the height it reports', async () => {
    for (const [w, h] of [
      [4000, 120],
      [64, 64],
    ] as const) {
      const input = new Uint8Array(await sharp({ create: { width: w, height: h, channels: 3, background: '#3a6ea5' } }).png().toBuffer())
      const { bytes, label } = await stamp(input, { profiles: ['kz', 'cn'] })
      expect(label.notice!.height).toBeGreaterThanOrEqual(0.05)
      const report = await verifyWith(adapter, bytes, imageFormat('png')!, { trust: creds.trust })
      expect(report.profiles.cn?.pass).toBe(true)
      await render(`fit-${w}x${h}`, bytes, { width: Math.min(w, 1600) })
    }
  }, 60_000)

  it('honours placement, plate and icon options, and records them in the label', async () => {
    const input = new Uint8Array(await sharp({ create: { width: 480, height: 320, channels: 3, background: '#202020' } }).png().toBuffer())
    const { bytes, label } = await stamp(input, { adapterOptions: { image: { placement: 'bottom-right', plate: 'light', icon: true } }, profiles: ['eu'] })
    expect(label.notice).toMatchObject({ method: 'overlay', placement: 'bottom-right', langs: ['en'] })
    expect(await meanLuma(bytes, { left: 440, top: 290, width: 20, height: 12 })).toBeGreaterThan(110)
    expect(await meanLuma(bytes, { left: 10, top: 10, width: 60, height: 30 })).toBeLessThan(60)
    await render('light-plate-icon-bottom-right', bytes)
    await expect(stamp(input, { adapterOptions: { image: { placement: 'middle' } } })).rejects.toMatchObject({ code: 'TANBA_INVALID_OPTION' })
  }, 60_000)

  it('renders every language readably on light and dark pictures (for a person to check)', async () => {
    for (const [name, background] of [
      ['light', '#f4f1e8'],
      ['dark', '#111318'],
    ] as const) {
      const input = new Uint8Array(await sharp({ create: { width: 1200, height: 800, channels: 3, background } }).jpeg({ quality: 90 }).toBuffer())
      const { bytes, label } = await stamp(input, { notice: { languages: ['kk', 'ru', 'uz', 'zh', 'en'] } })
      expect(label.notice?.langs).toEqual(['kk', 'ru', 'uz', 'zh', 'en'])
      await render(`languages-on-${name}`, bytes, { width: 1200 })
    }
  }, 60_000)

  it('does not draw a second warning when restamping a stamped image', async () => {
    const first = await stamp(fixture('photo.jpg'))
    const second = await stamp(first.bytes)
    expect(second.messages.map((m) => m.rule)).toContain('notice.kept')
    expect(second.label.notice).toEqual(first.label.notice)
    expect(parseJpeg(second.bytes, limits).xmp.filter((p) => p.carrier === 'xmp')).toHaveLength(1)
    const report = await verifyWith(adapter, second.bytes, imageFormat('jpeg')!, { trust: creds.trust })
    expect(report.status).toBe('valid')
    expect(report.label?.id).toBe(second.label.id)
  }, 60_000)
})
