import type { NoticeLine, ResolvedNotice } from '@tanba/core'
import fontkit from '@pdf-lib/fontkit'
import { PDFDict, PDFDocument, PDFName, PDFNumber, PDFRawStream, PDFRef, type PDFContext, type PDFFont, type PDFObject } from 'pdf-lib'
import type { PdfFile } from '../syntax/file.js'
import { isRegular, Keyword, latin1, Lexer } from '../syntax/lexer.js'
import { boxOf, contentRefs, displayMatrix, displaySize, type Box, type PageInfo } from '../syntax/pages.js'
import type { UpdateObject } from '../syntax/writer.js'
import { FontChain, type FontFace } from './fonts.js'

import { isTanbaObject, NOTICE_KEY } from './marker.js'

export { isTanbaObject, NOTICE_KEY } from './marker.js'

/** `band`: the page grows by a strip that holds the notice; `overlay`: the notice is drawn over the page. */
export type NoticeLayout = 'band' | 'overlay'

/** The smallest notice text, in points as printed (/UserUnit taken into account). */
export const MIN_FONT_PT = 6
/** Page key holding the boxes a page had before Tanba added a band, so a re-stamp starts from them. */
export const ORIGINAL_BOXES_KEY = 'TanbaOriginalBoxes'
const BOX_KEYS = ['MediaBox', 'CropBox', 'BleedBox', 'TrimBox', 'ArtBox'] as const
/** Saved graphics states the page's own content may pop beyond its own (PDF readers allow 28 levels). */
const MAX_PADDING = 24

export interface PageNoticeOptions {
  lines: NoticeLine[]
  placement: ResolvedNotice['placement']
  layout: NoticeLayout
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
  /** Overlay only: 1-based pages whose own content has an error at which a viewer may stop painting. */
  fragilePages: number[]
  /** Band only: 1-based pages with an annotation whose rectangle reaches into the band (it was outside the page before). */
  annotatedBands: number[]
}

type Matrix = [number, number, number, number, number, number]

interface Layout {
  ref: PDFRef
  width: number
  height: number
  fontSize: number
  margin: number
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
  const layoutFor = (dw: number, dh: number, userUnit: number): Layout => {
    const key = `${dw.toFixed(2)}x${dh.toFixed(2)}@${userUnit}`
    const hit = layouts.get(key)
    if (hit) return hit
    const made = makeLayout(ctx, lines, fonts, gstate, widthOf, dw, dh, MIN_FONT_PT / userUnit, options)
    layouts.set(key, made)
    return made
  }

  const objects: UpdateObject[] = []
  const streams = new Map<string, PDFRef>()
  const streamOf = (ops: string, role: string) => {
    let ref = streams.get(ops)
    if (!ref) {
      ref = ctx.register(ctx.flateStream(ops, { [NOTICE_KEY]: role }))
      streams.set(ops, ref)
    }
    return ref
  }
  const place = options.placement
  const edges: ('top' | 'bottom')[] = place === 'both' ? ['top', 'bottom'] : place === 'end' || place === 'bottom' || place === 'bottom-left' || place === 'bottom-right' ? ['bottom'] : ['top']
  let height = 0
  const fragilePages: number[] = []
  const annotatedBands: number[] = []
  for (const page of pages) {
    const original = originalGeometry(file, page)
    const [dw, dh] = displaySize(original)
    const layout = layoutFor(dw, dh, page.userUnit)
    if (!height) height = layout.fontSize / Math.min(dw, dh)
    const resources = copyDict(ctx, page.resources)
    const xobjects = copyDict(ctx, file.lookupDict(page.resources, 'XObject'))
    // Drop forms from an earlier Tanba stamp, so a re-stamp replaces the notice.
    for (const [k, v] of xobjects.entries()) if (isTanbaObject(file, v)) xobjects.delete(k)
    let name = NOTICE_KEY
    for (let i = 1; xobjects.get(PDFName.of(name)) !== undefined; i++) name = `${NOTICE_KEY}${i}`
    xobjects.set(PDFName.of(name), layout.ref)
    resources.set(PDFName.of('XObject'), xobjects)
    let contents = contentRefs(file, page.dict)
    if (contents.length >= 2 && isTanbaObject(file, contents[0]) && isTanbaObject(file, contents[contents.length - 1])) contents = contents.slice(1, -1)
    const dict = copyDict(ctx, page.dict)
    dict.delete(PDFName.of(ORIGINAL_BOXES_KEY))
    for (const key of BOX_KEYS) {
      const v = original.boxes[key]
      if (v) dict.set(PDFName.of(key), ctx.obj(v))
      else if (key !== 'MediaBox') dict.delete(PDFName.of(key))
    }
    // The page's own content may pop more graphics states than it saves; pad, so it cannot pop Tanba's.
    const stack = stackDeficit(file, contents)
    const pad = 'q '.repeat(stack.deficit)
    const draw = (box: Box, displayHeight: number) => {
      const m = displayMatrix({ box, rotate: original.rotate })
      const x = place === 'top-left' || place === 'bottom-left' ? layout.margin : place === 'top-right' || place === 'bottom-right' ? dw - layout.margin - layout.width : (dw - layout.width) / 2
      const ys = edges.map((e) => (e === 'top' ? displayHeight - layout.margin - layout.height : layout.margin))
      return ys.map((py) => `q ${fmtMatrix([m[0], m[1], m[2], m[3], x * m[0] + py * m[2] + m[4], x * m[1] + py * m[3] + m[5]])} cm /${name} Do Q\n`).join('')
    }
    let open: string
    let close: string
    if (options.layout === 'band') {
      // The notice is painted first, in a strip added to the page, so nothing in the page's content (an
      // error a viewer stops at, unbalanced Q, drawing outside its box) can hide it; the content is clipped to its own area.
      // Whole user-space units, so the original area stays on the same pixel grid when rendered.
      const band = Math.ceil(layout.height + 2 * layout.margin)
      const grown = growBox(original.box, original.rotate, edges, band)
      const [x0, y0, x1, y1] = original.box
      open = `q\n${draw(grown, dh + band * edges.length)}Q\nq ${n(x0)} ${n(y0)} ${n(x1 - x0)} ${n(y1 - y0)} re W n ${pad}\n`
      close = 'Q\n'
      const media = original.boxes.MediaBox!
      const newMedia: Box = [Math.min(media[0], grown[0]), Math.min(media[1], grown[1]), Math.max(media[2], grown[2]), Math.max(media[3], grown[3])]
      dict.set(PDFName.of('MediaBox'), ctx.obj(newMedia.map(num)))
      dict.set(PDFName.of('CropBox'), ctx.obj(grown.map(num)))
      // Bleed, trim and art boxes grow by the same strip, so a print trimmed to them keeps the notice.
      for (const key of ['BleedBox', 'TrimBox', 'ArtBox'] as const) {
        const b = original.boxes[key]
        if (!b) continue
        const g = intersect(growBox(b, original.rotate, edges, band), grown)
        dict.set(PDFName.of(key), ctx.obj((g[2] > g[0] && g[3] > g[1] ? g : grown).map(num)))
      }
      if (annotationsReach(file, page.dict, grown, original.box)) annotatedBands.push(page.index + 1)
      const saved = PDFDict.withContext(ctx)
      for (const key of BOX_KEYS) if (original.boxes[key]) saved.set(PDFName.of(key), ctx.obj(original.boxes[key]!.map(num)))
      dict.set(PDFName.of(ORIGINAL_BOXES_KEY), saved)
    } else {
      // Over the page: drawn after its content, in a clean graphics state. A viewer that stops at an error
      // in that content never gets to it, so such pages are reported.
      if (contentError(file, contents)) fragilePages.push(page.index + 1)
      open = `q ${pad}\n`
      close = `${'Q '.repeat(Math.min(1 + stack.deficit + stack.net, MAX_PADDING + 1))}\n${draw(original.box, dh)}`
    }
    dict.set(PDFName.of('Contents'), ctx.obj([streamOf(open, 'Open'), ...contents, streamOf(close, 'Close')]))
    dict.set(PDFName.of('Resources'), resources)
    objects.push({ ref: page.ref, object: dict })
  }
  await doc.flush()
  for (const [ref, obj] of ctx.enumerateIndirectObjects()) if (ref.objectNumber >= base) objects.push({ ref, object: obj })
  return { objects, size: ctx.largestObjectNumber + 1, height, fragilePages, annotatedBands }
}

function makeLayout(
  ctx: PDFContext,
  lines: { lang: string; glyphs: Glyph[] }[],
  fonts: Map<string, { font: PDFFont; name: string }>,
  gstate: PDFRef,
  widthOf: (g: Glyph) => number,
  dw: number,
  dh: number,
  minSize: number,
  options: PageNoticeOptions,
): Layout {
  // Size from the shorter side, but never from less than a quarter of the longer one, so a
  // long banner still gets readable text, and never below the minimum. An overlay then shrinks
  // if its plate would cover too much of the page; a band grows the page instead.
  const reference = Math.max(Math.min(dw, dh), Math.max(dw, dh) / 4)
  let fs = Math.max(options.textHeight * reference, minSize)
  const tokens = lines.flatMap((l) => tokenize(l.glyphs))
  const widest = Math.max(0, ...tokens.map((t) => t.reduce((s, g) => s + widthOf(g), 0)))
  // The widest unbreakable token decides whether the size must shrink to fit the width at all.
  if (widest * fs > dw - 2.7 * fs) fs = (dw / (widest + 2.7)) * 0.98
  let plate = wrapLines(lines, widthOf, fs, dw)
  if (options.layout === 'overlay' && plate.height > 0.4 * dh) {
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
  return { ref, width, height, fontSize: fs, margin: margin() }
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

interface Geometry {
  /** The boxes the page had before any Tanba band (the effective media and crop box, the others when present). */
  boxes: Partial<Record<(typeof BOX_KEYS)[number], Box>>
  /** The visible region before any band. */
  box: Box
  rotate: PageInfo['rotate']
}

/**
 * The page's geometry before Tanba touched it: from the boxes a band stamp saved (trusted only on a
 * page whose content Tanba wrapped, so a stray key in a file from elsewhere changes nothing), else the page's own.
 */
function originalGeometry(file: PdfFile, page: PageInfo): Geometry {
  const contents = contentRefs(file, page.dict)
  const stamped = contents.length >= 2 && isTanbaObject(file, contents[0]) && isTanbaObject(file, contents[contents.length - 1])
  const saved = stamped ? file.lookupDict(page.dict, ORIGINAL_BOXES_KEY) : undefined
  const boxes: Geometry['boxes'] = {}
  for (const key of BOX_KEYS) {
    const v = saved ? boxOf(file, saved.get(PDFName.of(key))) : key === 'MediaBox' ? page.mediaBox : key === 'CropBox' ? page.cropBox : boxOf(file, page.dict.get(PDFName.of(key)))
    if (v) boxes[key] = v
  }
  const media = boxes.MediaBox ?? page.mediaBox
  const crop = boxes.CropBox ?? media
  boxes.MediaBox = media
  const clipped = intersect(crop, media)
  return { boxes, box: clipped[2] > clipped[0] && clipped[3] > clipped[1] ? clipped : media, rotate: page.rotate }
}

/** `box` grown by `by` on the displayed top and/or bottom edge (which user-space edge that is depends on /Rotate). */
export function growBox(box: Box, rotate: PageInfo['rotate'], edges: ('top' | 'bottom')[], by: number): Box {
  const out: Box = [...box]
  // [index into the box, direction] of the displayed top edge, per rotation; the bottom is the opposite edge.
  const top: Record<PageInfo['rotate'], [number, number]> = { 0: [3, 1], 90: [0, -1], 180: [1, -1], 270: [2, 1] }
  for (const edge of edges) {
    const [i, dir] = top[rotate]
    const [j, d] = edge === 'top' ? [i, dir] : [(i + 2) % 4, -dir]
    out[j] = out[j]! + d * by
  }
  return out
}

function intersect(a: Box, b: Box): Box {
  return [Math.max(a[0], b[0]), Math.max(a[1], b[1]), Math.min(a[2], b[2]), Math.min(a[3], b[3])]
}

/**
 * How many more graphics states the page's content restores (Q) than it saved (q) at its deepest,
 * and its net balance, counted over its decoded streams (an over-count only adds padding). Bounded by MAX_PADDING.
 */
function stackDeficit(file: PdfFile, contents: PDFObject[]): { deficit: number; net: number } {
  let depth = 0
  let lowest = 0
  for (const c of contents) {
    const stream = file.resolve(c)
    if (!(stream instanceof PDFRawStream)) continue
    let data: Uint8Array
    try {
      data = file.streamData(stream)
    } catch {
      continue
    }
    // A byte loop: "q" or "Q" standing alone between delimiters (an operator, not part of a name or string).
    for (let i = 0; i < data.length; i++) {
      const b = data[i]
      if ((b !== 0x71 && b !== 0x51) || isRegular(data[i - 1]) || isRegular(data[i + 1])) continue
      depth += b === 0x71 ? 1 : -1
      if (depth < lowest) lowest = depth
    }
  }
  const deficit = Math.min(-lowest, MAX_PADDING)
  return { deficit, net: Math.max(depth, -deficit) }
}

/** True when an annotation of the page has a rectangle inside `grown` but outside `box` (it would show in the band). */
function annotationsReach(file: PdfFile, page: PDFDict, grown: Box, box: Box): boolean {
  try {
    const annots = file.lookupArray(page, 'Annots')?.asArray() ?? []
    for (const a of annots.slice(0, file.limits.maxChunks)) {
      const annot = file.resolve(a)
      const rect = annot instanceof PDFDict ? boxOf(file, annot.get(PDFName.of('Rect'))) : undefined
      if (!rect) continue
      const inGrown = intersect(rect, grown)
      if (!(inGrown[2] > inGrown[0] && inGrown[3] > inGrown[1])) continue
      const inBox = intersect(rect, box)
      const area = (b: Box) => Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1])
      if (area(inGrown) > area(inBox) + 1e-6) return true
    }
  } catch {
    // an unreadable annotation list is reported by nothing here; the stamp goes on
  }
  return false
}

/** Operands each operator needs (poppler stops painting a page at an operator given fewer). */
const OPERANDS: Record<string, number> = {
  BDC: 2, BMC: 1, c: 6, cm: 6, CS: 1, cs: 1, d: 2, d0: 2, d1: 6, Do: 1, DP: 2, G: 1, g: 1, gs: 1, i: 1, j: 1, J: 1, K: 4, k: 4, l: 2, m: 2, M: 1, MP: 1,
  re: 4, RG: 3, rg: 3, ri: 1, SC: 1, sc: 1, SCN: 1, scn: 1, sh: 1, Tc: 1, Td: 2, TD: 2, Tf: 2, Tj: 1, TJ: 1, TL: 1, Tm: 6, Tr: 1, Ts: 1, Tw: 1, Tz: 1,
  v: 4, w: 1, y: 4, "'": 1, '"': 3,
}

/** True when the page's content has an operator with too few operands, or does not tokenise at all. */
function contentError(file: PdfFile, contents: PDFObject[]): boolean {
  for (const c of contents) {
    const stream = file.resolve(c)
    if (!(stream instanceof PDFRawStream)) continue
    try {
      const data = file.streamData(stream)
      const lex = new Lexer(data, 0, { context: file.context, maxDepth: 32 })
      let operands = 0
      for (let count = 0; count < file.limits.maxChunks * 100; count++) {
        lex.skipWhite()
        if (lex.pos >= data.length) break
        const tok = lex.parse(0, true)
        if (!(tok instanceof Keyword)) {
          operands++
          continue
        }
        if (tok.value === 'ID') {
          // Inline image data runs to "EI"; skip it rather than tokenise binary bytes.
          const end = latin1(data.subarray(lex.pos)).search(/\sEI(?![^\s])/)
          if (end < 0) return true
          lex.pos += end + 3
        } else if ((OPERANDS[tok.value] ?? 0) > operands) return true
        operands = 0
      }
    } catch {
      return true
    }
  }
  return false
}

function num(v: number): PDFNumber {
  return PDFNumber.of(Math.round(v * 1000) / 1000)
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

