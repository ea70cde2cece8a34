// The default notice covers nothing (issue 19) and cannot be suppressed by the page's own content
// (issue 14): rendered with poppler before and after stamping, the original area of every page is
// pixel for pixel the same, and the notice text is in the added band.
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { noticeText, verifyWith } from '@tanba/core'
import { PDFDocument, PDFName, StandardFonts } from 'pdf-lib'
import { describe, expect, it } from 'vitest'
import { listPages, PdfFile } from '../src/adapter.js'
import { PDF_FORMAT } from '../src/formats.js'
import { adapter, CORPUS_PDFS, credentials, FIXTURE_PDFS, hasTool, limits, load, RENDERS, stamp } from './helpers.js'

const tools = hasTool('pdftoppm') && hasTool('pdftotext')
if (!tools) console.warn('band.test.ts: poppler-utils missing; the rendering checks are skipped')
const DPI = 72 // one pixel per point, so the band is a whole number of pixel rows
const DIR = join(RENDERS, 'band')

interface Image {
  width: number
  height: number
  /** RGB, row by row. */
  data: Buffer
}

/**
 * Renders page `n` (the crop box, as displayed) to a PPM and parses it. Anti-aliasing is off: with it,
 * poppler's coverage of a curve's edge pixel can differ by a few levels when the same drawing sits at
 * another absolute device offset (seen once per 400k pixels); without it the geometry is compared exactly.
 */
function render(pdf: string, n: number, out: string): Image {
  execFileSync('pdftoppm', ['-r', String(DPI), '-aa', 'no', '-aaVector', 'no', '-cropbox', '-f', String(n), '-l', String(n), '-singlefile', pdf, out], { stdio: 'pipe' })
  execFileSync('pdftoppm', ['-r', '40', '-cropbox', '-png', '-f', String(n), '-l', String(n), '-singlefile', pdf, out], { stdio: 'pipe' })
  const bytes = readFileSync(`${out}.ppm`)
  const m = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(bytes.subarray(0, 40).toString('latin1'))!
  return { width: Number(m[1]), height: Number(m[2]), data: bytes.subarray(m[0].length) }
}

/** Pixels that differ between `a` and the rows of `b` starting at `rowOffset`. */
function changedPixels(a: Image, b: Image, rowOffset: number): number {
  const stride = a.width * 3
  let changed = 0
  for (let y = 0; y < a.height; y++) {
    const ra = a.data.subarray(y * stride, (y + 1) * stride)
    const rb = b.data.subarray((y + rowOffset) * stride, (y + rowOffset + 1) * stride)
    if (ra.equals(rb)) continue
    for (let x = 0; x < stride; x += 3) if (ra[x] !== rb[x] || ra[x + 1] !== rb[x + 1] || ra[x + 2] !== rb[x + 2]) changed++
  }
  return changed
}

function textOf(pdf: string, n: number): string {
  return execFileSync('pdftotext', ['-f', String(n), '-l', String(n), '-cropbox', pdf, '-'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).replace(/\s+/g, ' ')
}

/**
 * True when rows [from, to) hold dark (text) pixels. With the original area unchanged pixel for
 * pixel and the notice in pdftotext's output, dark pixels in the band are the notice. (pdftotext's
 * -x/-y crop is not in display space on rotated pages, so it cannot place the text itself.)
 */
function darkRows(img: Image, from: number, to: number): boolean {
  return img.data.subarray(from * img.width * 3, to * img.width * 3).some((v) => v < 100)
}

const EN = noticeText('en', 'generated')!

describe.skipIf(!tools)('the default band leaves every page as it was and holds the notice', () => {
  mkdirSync(DIR, { recursive: true })
  for (const path of [...FIXTURE_PDFS, ...CORPUS_PDFS]) {
    const name = basename(path, '.pdf')
    it(name, async () => {
      const input = load(path)
      const result = await stamp(input, { profiles: ['kz', 'eu'] })
      const before = join(DIR, `${name}-before.pdf`)
      const after = join(DIR, `${name}-after.pdf`)
      writeFileSync(before, input)
      writeFileSync(after, result.bytes)
      const pages = listPages(PdfFile.open(result.bytes, { limits })).length
      for (let n = 1; n <= pages; n++) {
        const a = render(before, n, join(DIR, `${name}-${n}-before`))
        const b = render(after, n, join(DIR, `${name}-${n}-after`))
        expect(b.width, `${name} page ${n}: same width`).toBe(a.width)
        const band = b.height - a.height
        expect(band, `${name} page ${n}: a band was added`).toBeGreaterThan(0)
        // The band is on the displayed top: the original page is the rows below it.
        expect(changedPixels(a, b, band), `${name} page ${n}: pixels of the original area changed`).toBe(0)
        expect(textOf(after, n), `${name} page ${n}: notice text`).toContain(EN)
        expect(darkRows(b, 0, band), `${name} page ${n}: notice painted in the band`).toBe(true)
      }
      const c = await credentials()
      expect((await verifyWith(adapter, result.bytes, PDF_FORMAT, { trust: c.trust, c2pa: false })).status).toBe('valid')
    }, 60_000)
  }

  it('re-stamping keeps one band (from the saved original boxes); an overlay re-stamp gives the page its own boxes back', async () => {
    const input = load(FIXTURE_PDFS.find((p) => p.endsWith('cropbox.pdf'))!)
    const boxes = (bytes: Uint8Array) => listPages(PdfFile.open(bytes, { limits })).map((p) => [p.mediaBox, p.cropBox, p.rotate])
    const once = await stamp(input, { profiles: ['eu'] })
    const twice = await stamp(once.bytes, { profiles: ['eu'] })
    expect(boxes(twice.bytes)).toEqual(boxes(once.bytes))
    expect(boxes(once.bytes)).not.toEqual(boxes(input))
    const overlay = await stamp(once.bytes, { profiles: ['eu'], adapterOptions: { pdf: { noticeLayout: 'overlay' } } })
    expect(boxes(overlay.bytes)).toEqual(boxes(input))
  })

  it('an annotation that sat outside the visible page and now reaches into the band is reported', async () => {
    const doc = await PDFDocument.create()
    const page = doc.addPage([300, 300])
    page.node.set(PDFName.of('CropBox'), doc.context.obj([0, 0, 300, 250]))
    const note = doc.context.register(doc.context.obj({ Type: 'Annot', Subtype: 'Square', Rect: [10, 260, 290, 295], C: [1, 0, 0] }))
    page.node.set(PDFName.of('Annots'), doc.context.obj([note]))
    const result = await stamp(await doc.save(), { profiles: ['eu'] })
    expect(result.messages).toContainEqual(expect.objectContaining({ rule: 'pdf.annotation-in-band', fatal: false }))
    const clean = await stamp(load(FIXTURE_PDFS.find((p) => p.endsWith('rotated.pdf'))!), { profiles: ['eu'] })
    expect(clean.messages.map((m) => m.rule)).not.toContain('pdf.annotation-in-band')
  })

  it('a stray /TanbaOriginalBoxes in a page Tanba never stamped is ignored', async () => {
    const doc = await PDFDocument.create()
    const font = await doc.embedFont(StandardFonts.Helvetica)
    const page = doc.addPage([300, 200])
    page.drawText('Real page', { x: 20, y: 100, size: 20, font })
    page.node.set(PDFName.of('TanbaOriginalBoxes'), doc.context.obj({ MediaBox: [5000, 5000, 5100, 5100] }))
    const input = await doc.save()
    const result = await stamp(input, { profiles: ['eu'] })
    const before = join(DIR, 'stray-before.pdf')
    const after = join(DIR, 'stray-after.pdf')
    writeFileSync(before, input)
    writeFileSync(after, result.bytes)
    const a = render(before, 1, join(DIR, 'stray-1-before'))
    const b = render(after, 1, join(DIR, 'stray-1-after'))
    expect(b.width).toBe(a.width)
    expect(changedPixels(a, b, b.height - a.height)).toBe(0)
    expect(textOf(after, 1)).toContain('Real page')
  })

  it('bottom placement puts the band under the page', async () => {
    const path = FIXTURE_PDFS.find((p) => p.endsWith('rotated.pdf'))!
    const input = load(path)
    const result = await stamp(input, { profiles: ['eu'], notice: { placement: 'bottom' } })
    const before = join(DIR, 'rotated-bottom-before.pdf')
    const after = join(DIR, 'rotated-bottom-after.pdf')
    writeFileSync(before, input)
    writeFileSync(after, result.bytes)
    for (let n = 1; n <= 4; n++) {
      const a = render(before, n, join(DIR, `rotated-bottom-${n}-before`))
      const b = render(after, n, join(DIR, `rotated-bottom-${n}-after`))
      const band = b.height - a.height
      expect(band).toBeGreaterThan(0)
      expect(changedPixels(a, b, 0), `page ${n}`).toBe(0)
      expect(textOf(after, n)).toContain(EN)
      expect(darkRows(b, a.height, b.height)).toBe(true)
    }
  })

  it('/UserUnit: the text is at least 6 pt as printed, and the original area is unchanged', async () => {
    const doc = await PDFDocument.create()
    const font = await doc.embedFont(StandardFonts.Helvetica)
    const page = doc.addPage([100, 60])
    page.node.set(PDFName.of('UserUnit'), doc.context.obj(3))
    page.drawText('Three-inch units', { x: 5, y: 30, size: 8, font })
    const input = await doc.save()
    const result = await stamp(input, { profiles: ['eu'] })
    const before = join(DIR, 'userunit-before.pdf')
    const after = join(DIR, 'userunit-after.pdf')
    writeFileSync(before, input)
    writeFileSync(after, result.bytes)
    const a = render(before, 1, join(DIR, 'userunit-1-before'))
    const b = render(after, 1, join(DIR, 'userunit-1-after'))
    expect(changedPixels(a, b, b.height - a.height)).toBe(0)
    // 6 pt at UserUnit 3 is 2 user units; 2 % of the 60-unit side would be 1.2.
    expect(result.label.notice?.height).toBeCloseTo(2 / 60, 3)
    expect(textOf(after, 1)).toContain(EN)
    expect(darkRows(b, 0, b.height - a.height)).toBe(true)
  })

  it('a page whose own content holds an operator poppler rejects still shows the notice (pdftoppm and pdftotext)', async () => {
    const doc = await PDFDocument.create()
    const font = await doc.embedFont(StandardFonts.Helvetica)
    const page = doc.addPage([595, 842])
    page.node.setFontDictionary(PDFName.of('F1'), font.ref)
    // "1e2" is not a PDF number: poppler reads "1", an unknown operator "e2", then gives up on the page at "Tf".
    page.node.set(PDFName.of('Contents'), doc.context.register(doc.context.stream('BT /F1 20 Tf 50 780 Td (Original heading) Tj ET BT /F1 1e2 Tf 50 700 Td (After the error) Tj ET')))
    const input = await doc.save()
    const original = join(DIR, 'broken-content-before.pdf')
    writeFileSync(original, input)
    expect(execFileSync('pdftotext', [original, '-'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })).not.toContain('After the error')
    for (const noticeLayout of ['band', 'overlay'] as const) {
      const result = await stamp(input, { profiles: ['eu'], adapterOptions: { pdf: { noticeLayout } } })
      const after = join(DIR, `broken-content-${noticeLayout}.pdf`)
      writeFileSync(after, result.bytes)
      const text = execFileSync('pdftotext', [after, '-'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).replace(/\s+/g, ' ')
      if (noticeLayout === 'band') {
        expect(text).toContain(EN)
        const a = render(original, 1, join(DIR, 'broken-content-1-before'))
        const b = render(after, 1, join(DIR, 'broken-content-1-after'))
        const band = b.height - a.height
        expect(changedPixels(a, b, band)).toBe(0)
        // The band holds dark pixels: the notice text was painted.
        expect(darkRows(b, 0, band)).toBe(true)
      } else {
        // Over the page, the notice has to be drawn after the content, where such an error stops poppler;
        // this is why the band is the default (docs/pdf.md).
        expect(text).not.toContain(EN)
        expect(result.messages).toContainEqual(expect.objectContaining({ rule: 'pdf.notice-may-be-hidden', fatal: false }))
      }
    }
  })
})
