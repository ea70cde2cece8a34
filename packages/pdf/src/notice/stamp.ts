import type { NoticeLine, ResolvedNotice } from '@tanba/core'
import fontkit from '@pdf-lib/fontkit'
import { PDFDict, PDFDocument, PDFName, PDFRawStream, PDFRef, type PDFContext, type PDFFont, type PDFObject } from 'pdf-lib'
import type { PdfFile } from '../syntax/file.js'
import { fromLatin1 } from '../syntax/lexer.js'
import { contentRefs, displayMatrix, displaySize, type PageInfo } from '../syntax/pages.js'
import type { UpdateObject } from '../syntax/writer.js'
import { FontChain, type FontFace } from './fonts.js'

import { isTanbaObject, NOTICE_KEY } from './marker.js'

export { isTanbaObject, NOTICE_KEY } from './marker.js'

export interface PageNoticeOptions {
  lines: NoticeLine[]
  placement: ResolvedNotice['placement']
  /** Text height as a fraction of the page's shorter displayed side. */
  textHeight: number
  /** Extra fonts tried before the bundled ones. */
  fonts?: Uint8Array[]
}

export interface PageNoticeResult {
  objects: UpdateObject[]
  /** Next free object number after the new objects. */
  size: number
  /** Font size used on the first stamped page, as a fraction of its shorter side. */
  height: number
}

type Matrix = [number, number, number, number, number, number]

interface Layout {
  ref: PDFRef
  width: number
  height: number
  fontSize: number
  positions: [number, number][]
}

interface Glyph {
  ch: string
  face: FontFace
}

/**
 * Builds the objects of the notice revision: embedded font subsets, one form XObject per
 * page size holding the plate and the text, and new versions of the stamped pages whose
 * content is wrapped in q/Q and followed by a call of the form. Existing objects other than
 * the page dictionaries are never changed.
 */
export async function buildPageNotice(file: PdfFile, pages: PageInfo[], options: PageNoticeOptions): Promise<PageNoticeResult> {
  const doc = await PDFDocument.create({ updateMetadata: false })
  doc.registerFontkit(fontkit)
  const ctx = doc.context
  const base = file.size
  ctx.largestObjectNumber = base - 1

  const chain = new FontChain(options.fonts ? { fonts: options.fonts } : {})
  const lines: { lang: string; glyphs: Glyph[] }[] = []
  for (const line of options.lines) {
    const runs = await chain.runs(line.text)
    lines.push({ lang: line.lang, glyphs: runs.flatMap((r) => Array.from(r.text, (ch) => ({ ch, face: r.face }))) })
  }
  const fonts = new Map<string, { font: PDFFont; name: string }>()
  for (const line of lines) {
    for (const g of line.glyphs) {
      if (!fonts.has(g.face.id)) fonts.set(g.face.id, { font: await doc.embedFont(g.face.bytes, { subset: true }), name: `TF${fonts.size}` })
    }
  }
  const gstate = ctx.register(ctx.obj({ Type: 'ExtGState', ca: 0.9, CA: 0.9 }))
  const widthCache = new Map<string, number>()
  const widthOf = (g: Glyph) => {
    const key = `${g.face.id}\u0000${g.ch}`
    let w = widthCache.get(key)
    if (w === undefined) {
      w = fonts.get(g.face.id)!.font.widthOfTextAtSize(g.ch, 1)
      widthCache.set(key, w)
    }
    return w
  }

  const layouts = new Map<string, Layout>()
  const layoutFor = (dw: number, dh: number): Layout => {
    const key = `${dw.toFixed(2)}x${dh.toFixed(2)}`
    const hit = layouts.get(key)
    if (hit) return hit
    const made = makeLayout(ctx, lines, fonts, gstate, widthOf, dw, dh, options)
    layouts.set(key, made)
    return made
  }

  const objects: UpdateObject[] = []
  const openRef = ctx.register(PDFRawStream.of(ctx.obj({ [NOTICE_KEY]: 'Open' }) as PDFDict, fromLatin1('q\n')))
  const closeStreams = new Map<string, PDFRef>()
  let height = 0
  for (const page of pages) {
    const [dw, dh] = displaySize(page)
    const layout = layoutFor(dw, dh)
    if (!height) height = layout.fontSize / Math.min(dw, dh)
    const resources = copyDict(ctx, page.resources)
    const xobjects = copyDict(ctx, file.lookupDict(page.resources, 'XObject'))
    // Drop forms from an earlier Tanba stamp, so a re-stamp replaces the notice.
    for (const [k, v] of xobjects.entries()) if (isTanbaObject(file, v)) xobjects.delete(k)
    let name = NOTICE_KEY
    for (let i = 1; xobjects.get(PDFName.of(name)) !== undefined; i++) name = `${NOTICE_KEY}${i}`
    xobjects.set(PDFName.of(name), layout.ref)
    resources.set(PDFName.of('XObject'), xobjects)
    const m = displayMatrix(page)
    let ops = 'Q\n'
    for (const [px, py] of layout.positions) ops += `q ${fmtMatrix([m[0], m[1], m[2], m[3], px * m[0] + py * m[2] + m[4], px * m[1] + py * m[3] + m[5]])} cm /${name} Do Q\n`
    let closeRef = closeStreams.get(ops)
    if (!closeRef) {
      closeRef = ctx.register(ctx.flateStream(ops, { [NOTICE_KEY]: 'Close' }))
      closeStreams.set(ops, closeRef)
    }
    let contents = contentRefs(file, page.dict)
    if (contents.length >= 2 && isTanbaObject(file, contents[0]) && isTanbaObject(file, contents[contents.length - 1])) contents = contents.slice(1, -1)
    const dict = copyDict(ctx, page.dict)
    dict.set(PDFName.of('Contents'), ctx.obj([openRef, ...contents, closeRef]))
    dict.set(PDFName.of('Resources'), resources)
    objects.push({ ref: page.ref, object: dict })
  }
  await doc.flush()
  for (const [ref, obj] of ctx.enumerateIndirectObjects()) if (ref.objectNumber >= base) objects.push({ ref, object: obj })
  return { objects, size: ctx.largestObjectNumber + 1, height }
}

function makeLayout(
  ctx: PDFContext,
  lines: { lang: string; glyphs: Glyph[] }[],
  fonts: Map<string, { font: PDFFont; name: string }>,
  gstate: PDFRef,
  widthOf: (g: Glyph) => number,
  dw: number,
  dh: number,
  options: PageNoticeOptions,
): Layout {
  // Size from the shorter side, but never from less than a quarter of the longer one, so a
  // long banner still gets readable text; then shrink if the plate would cover too much height.
  const reference = Math.max(Math.min(dw, dh), Math.max(dw, dh) / 4)
  let fs = options.textHeight * reference
  const tokens = lines.flatMap((l) => tokenize(l.glyphs))
  const widest = Math.max(0, ...tokens.map((t) => t.reduce((s, g) => s + widthOf(g), 0)))
  // The widest unbreakable token decides whether the size must shrink to fit the width at all.
  if (widest * fs > dw - 2.7 * fs) fs = (dw / (widest + 2.7)) * 0.98
  let plate = wrapLines(lines, widthOf, fs, dw)
  if (plate.height > 0.4 * dh) {
    fs *= (0.4 * dh) / plate.height
    plate = wrapLines(lines, widthOf, fs, dw)
  }
  const { visual, width, height } = plate
  const pad = () => 0.45 * fs
  const margin = () => 0.9 * fs
  const leading = 1.3 * fs
  const lw = Math.max(0.05 * fs, 0.1)
  let ops = `q /TanbaGS gs 1 1 1 rg 0.45 0.45 0.45 RG ${n(lw)} w ${n(lw / 2)} ${n(lw / 2)} ${n(width - lw)} ${n(height - lw)} re B Q\nBT 0.08 0.08 0.08 rg\n`
  let lang = ''
  visual.forEach((v, i) => {
    if (v.lang !== lang) {
      if (lang) ops += 'EMC\n'
      ops += `/Span <</Lang (${v.lang.replace(/[()\\]/g, '')})>> BDC\n`
      lang = v.lang
    }
    const x = (width - v.width) / 2
    const y = height - pad() - 0.9 * fs - i * leading
    ops += `1 0 0 1 ${n(x)} ${n(y)} Tm`
    let face = ''
    let run = ''
    const flush = () => {
      if (!run) return
      const f = fonts.get(face)!
      ops += ` /${f.name} ${n(fs)} Tf ${f.font.encodeText(run).toString()} Tj`
      run = ''
    }
    for (const g of v.glyphs) {
      if (g.face.id !== face) {
        flush()
        face = g.face.id
      }
      run += g.ch
    }
    flush()
    ops += '\n'
  })
  if (lang) ops += 'EMC\n'
  ops += 'ET\n'
  const fontDict: Record<string, PDFRef> = {}
  for (const { font, name } of fonts.values()) fontDict[name] = font.ref
  const form = ctx.flateStream(ops, {
    Type: 'XObject',
    Subtype: 'Form',
    FormType: 1,
    BBox: [0, 0, n(width), n(height)].map(Number),
    Resources: { Font: fontDict, ExtGState: { TanbaGS: gstate } },
    [NOTICE_KEY]: 'Form',
  })
  const ref = ctx.register(form)
  const m = margin()
  const place = options.placement
  const x = place === 'top-left' || place === 'bottom-left' ? m : place === 'top-right' || place === 'bottom-right' ? dw - m - width : (dw - width) / 2
  const top: [number, number] = [x, dh - m - height]
  const bottom: [number, number] = [x, m]
  const positions: [number, number][] =
    place === 'both' ? [top, bottom] : place === 'end' || place === 'bottom' || place === 'bottom-left' || place === 'bottom-right' ? [bottom] : [top]
  return { ref, width, height, fontSize: fs, positions }
}

interface Plate {
  visual: { lang: string; glyphs: Glyph[]; width: number }[]
  width: number
  height: number
}

/** Wraps the notice lines to the page width at font size `fs` and measures the plate. */
function wrapLines(lines: { lang: string; glyphs: Glyph[] }[], widthOf: (g: Glyph) => number, fs: number, dw: number): Plate {
  const pad = 0.45 * fs
  const maxW = dw - 2 * 0.9 * fs - 2 * pad
  const measure = (glyphs: Glyph[]) => glyphs.reduce((s, g) => s + widthOf(g), 0) * fs
  const visual: Plate['visual'] = []
  for (const line of lines) {
    let cur: Glyph[] = []
    let curW = 0
    for (const token of tokenize(line.glyphs)) {
      const tw = measure(token)
      if (cur.length && curW + tw > maxW) {
        const trimmed = trimEnd(cur)
        visual.push({ lang: line.lang, glyphs: trimmed, width: measure(trimmed) })
        cur = []
        curW = 0
        if (token.every((g) => /\s/u.test(g.ch))) continue
      }
      cur.push(...token)
      curW += tw
    }
    const trimmed = trimEnd(cur)
    if (trimmed.length) visual.push({ lang: line.lang, glyphs: trimmed, width: measure(trimmed) })
  }
  const width = Math.max(fs, ...visual.map((v) => v.width)) + 2 * pad
  const height = 2 * pad + 0.9 * fs + 0.27 * fs + (visual.length - 1) * 1.3 * fs
  return { visual, width, height }
}

/** Words with their trailing spaces; CJK characters are tokens of their own. */
function tokenize(glyphs: Glyph[]): Glyph[][] {
  const out: Glyph[][] = []
  let cur: Glyph[] = []
  for (const g of glyphs) {
    const cjk = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u3000-\u303f\uff00-\uffef]/u.test(g.ch)
    if (cjk) {
      if (cur.length) out.push(cur)
      out.push([g])
      cur = []
      continue
    }
    if (/\s/u.test(g.ch)) {
      cur.push(g)
      out.push(cur)
      cur = []
      continue
    }
    if (cur.length && /\s/u.test(cur[cur.length - 1]!.ch)) {
      out.push(cur)
      cur = []
    }
    cur.push(g)
  }
  if (cur.length) out.push(cur)
  return out
}

function trimEnd(glyphs: Glyph[]): Glyph[] {
  let end = glyphs.length
  while (end > 0 && /\s/u.test(glyphs[end - 1]!.ch)) end--
  return glyphs.slice(0, end)
}

function copyDict(ctx: PDFContext, dict: PDFDict | undefined): PDFDict {
  const out = PDFDict.withContext(ctx)
  if (dict) for (const [k, v] of dict.entries()) out.set(k, v)
  return out
}

function n(v: number): string {
  const r = Math.round(v * 1000) / 1000
  return Object.is(r, -0) ? '0' : String(r)
}

function fmtMatrix(m: Matrix): string {
  return m.map(n).join(' ')
}

