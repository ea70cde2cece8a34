// Fits the warning to the picture: font size from the minimum text height, wrapping, shorter texts,
// shrinking as a last resort, and SVG markup for each plate (glyph outlines, no fonts needed to render).
import { UnsupportedFormatError } from '@tanba/core'
import { GlyphDefs, shapeText, textPath } from './fonts.js'

export type ImagePlacement = 'top-left' | 'top-right' | 'bottom-left' | 'bottom-right' | 'top' | 'bottom'
export const IMAGE_PLACEMENTS: readonly ImagePlacement[] = ['top-left', 'top-right', 'bottom-left', 'bottom-right', 'top', 'bottom']

/**
 * The icon drawn before the text. Tanba draws three of its own, after the three optional icons the
 * European Commission published with the Code of Practice (basic, fully AI-generated, partially
 * AI-modified); `image` places a file the user supplies (the official icon, say) as a data URI.
 */
export type NoticeIcon = { kind: 'basic' | 'generated' | 'modified' } | { kind: 'image'; href: string }

export interface NoticeStyle {
  /** "dark": white text on a dark plate (default); "light": black text on a light plate. */
  plate: 'dark' | 'light'
  /** The icon before the text, or null for none. */
  icon: NoticeIcon | null
}

export interface NoticeLine {
  lang: string
  text: string
  /** A shorter built-in text for small pictures. */
  short?: string
}

export interface LayoutInput {
  /** Displayed size in pixels (after EXIF orientation). */
  width: number
  height: number
  lines: NoticeLine[]
  /** Minimum font size as a fraction of the shortest side. */
  minTextHeight: number
  placements: ImagePlacement[]
  style: NoticeStyle
}

export interface PlacedPlate {
  placement: ImagePlacement
  x: number
  y: number
  width: number
  height: number
  /** Plate and text as SVG elements in plate coordinates (0,0 at the plate's top left), glyphs inline. */
  content: string
  /** The same, with glyphs placed from shared definitions (for SVG output). */
  vector(defs: GlyphDefs): string
}

export interface NoticeLayout {
  plates: PlacedPlate[]
  /** Font size in px (the em square). */
  fontSize: number
  /** fontSize / shortest side. */
  height: number
  rows: string[]
  shortened: boolean
  belowMinimum: boolean
}

// Vertical metrics in em: the ink of accented capitals and CJK ideographs rises to ~0.92,
// descenders reach ~0.26; rows are 1.25 em apart.
const ASC = 0.92
const DESC = 0.26
const LINE = 1.25
const PAD_X = 0.45
const PAD_Y = 0.3
/** The icon's side, in em. */
const BADGE = 1.6
/** Below this size (px) text is unreadable; smaller pictures need the notice turned off. */
export const MIN_FONT_PX = 3
/** The plate should not cover more than this fraction of the picture's height when a smaller layout exists. */
const MAX_COVER = 0.35
/** Preferred size for small pictures, when the minimum ratio gives less. */
const COMFORT_PX = 12

const CJK = /[\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]/u

/** Words, spaces and single CJK characters (which may break anywhere). */
export function tokenize(text: string): string[] {
  const out: string[] = []
  let word = ''
  for (const ch of text) {
    if (/\s/u.test(ch)) {
      if (word) out.push(word)
      word = ''
      out.push(' ')
    } else if (CJK.test(ch)) {
      if (word) out.push(word)
      word = ''
      out.push(ch)
    } else word += ch
  }
  if (word) out.push(word)
  return out
}

const width = (s: string) => shapeText(s).width

/** Greedy line breaking to `max` em; words longer than a row break between characters. */
export function wrap(text: string, max: number): string[] {
  const rows: string[] = []
  let cur = ''
  for (const tok of tokenize(text)) {
    if (tok === ' ') {
      if (cur) cur += ' '
      continue
    }
    const cand = cur + tok
    if (width(cand) <= max) {
      cur = cand
      continue
    }
    if (cur.trim()) rows.push(cur.trimEnd())
    cur = ''
    if (width(tok) <= max) {
      cur = tok
      continue
    }
    for (const ch of tok) {
      if (!cur || width(cur + ch) <= max) cur += ch
      else {
        rows.push(cur)
        cur = ch
      }
    }
  }
  if (cur.trim()) rows.push(cur.trimEnd())
  return rows
}

interface Attempt {
  size: number
  rows: string[]
  textWidth: number
  plateWidth: number
  plateHeight: number
  badge: number
}

function attempt(input: LayoutInput, texts: string[], size: number, margin: number, maxCover: number): Attempt | null {
  const padX = PAD_X * size
  const padY = PAD_Y * size
  const availW = input.width - 2 * margin - 2 * padX
  const availH = input.height - 2 * margin - 2 * padY
  const badge = input.style.icon ? BADGE * size : 0
  const badgeGap = input.style.icon ? 0.35 * size : 0
  const maxEm = (availW - badge - badgeGap) / size
  if (maxEm <= 0.6) return null
  const rows = texts.flatMap((t) => wrap(t, maxEm))
  // A character wider than the row (a tiny picture) cannot fit.
  if (rows.some((r) => width(r) > maxEm + 1e-9)) return null
  const textHeight = Math.max((rows.length - 1) * LINE * size + (ASC + DESC) * size, badge)
  if (textHeight > availH + 1e-9 || textHeight + 2 * padY > maxCover * input.height) return null
  const textWidth = Math.max(...rows.map((r) => width(r) * size))
  return {
    size,
    rows,
    textWidth,
    plateWidth: Math.ceil(textWidth + (badge ? badge + badgeGap : 0) + 2 * padX),
    plateHeight: Math.ceil(textHeight + 2 * padY),
    badge,
  }
}

/**
 * Lays out the warning. Tries, in order: the full texts at the preferred size down to the minimum
 * size; the short texts the same way; then the short texts below the minimum (reported as such).
 */
export function layoutNotice(input: LayoutInput): NoticeLayout {
  const short = Math.min(input.width, input.height)
  const margin = Math.max(1, Math.round(0.02 * short))
  const minSize = input.minTextHeight * short
  const start = Math.max(minSize, Math.min(COMFORT_PX, 0.15 * short))
  const full = input.lines.map((l) => l.text)
  const shortTexts = input.lines.map((l) => l.short ?? l.text)
  const hasShort = shortTexts.some((t, i) => t !== full[i])
  const sizes = (from: number, to: number) => {
    const out: number[] = []
    for (let s = from; s >= to - 1e-9 && s >= MIN_FONT_PX; s *= 0.92) out.push(s)
    if (!out.length || out[out.length - 1]! > to + 1e-9) if (to >= MIN_FONT_PX) out.push(to)
    return out
  }
  // Readable first: full texts, then short texts, while the size stays comfortable; then both
  // down to the minimum; below the minimum only as a last resort (reported).
  const readable = Math.max(minSize, Math.min(0.75 * COMFORT_PX, 0.12 * short))
  const passes: [string[], number, number, boolean][] = [
    [full, start, readable, false],
    [shortTexts, start, readable, false],
    [full, readable, minSize, false],
    [shortTexts, readable, minSize, false],
    [shortTexts, Math.min(start, minSize) * 0.92, MIN_FONT_PX, true],
  ]
  let found: Attempt | null = null
  let shortened = false
  let below = false
  // Readable sizes first, each time preferring a plate that covers at most MAX_COVER of the height;
  // then sizes down to the minimum the same way; below the minimum last.
  const order: [number, number][] = [
    [0, MAX_COVER],
    [1, MAX_COVER],
    [0, 1],
    [1, 1],
    [2, MAX_COVER],
    [3, MAX_COVER],
    [2, 1],
    [3, 1],
    [4, 1],
  ]
  for (const [index, cover] of order) {
    const [texts, from, to, isBelow] = passes[index]!
    if (texts === shortTexts && !hasShort && !isBelow) continue
    for (const s of sizes(from, to)) if ((found = attempt(input, texts, s, margin, cover))) break
    if (found) {
      shortened = texts === shortTexts && hasShort
      below = isBelow
      break
    }
  }
  if (!found) {
    // A valid picture the visible warning cannot go into: unsupported for that option, not a usage error.
    throw new UnsupportedFormatError(
      `The image is ${input.width}×${input.height} pixels: too small for a readable warning. Stamp it with notice: { visible: false } to write the metadata and C2PA only`,
      { details: { width: input.width, height: input.height, reason: 'too-small-for-notice', option: 'notice.visible' } },
    )
  }
  const plates = input.placements.map((placement) => placePlate(input, found!, placement, margin))
  const ratio = Math.round((found.size / short) * 1e6) / 1e6
  return {
    plates,
    fontSize: found.size,
    height: below ? ratio : Math.max(ratio, input.minTextHeight),
    rows: found.rows,
    shortened,
    belowMinimum: below,
  }
}

function placePlate(input: LayoutInput, a: Attempt, placement: ImagePlacement, margin: number): PlacedPlate {
  const w = Math.min(a.plateWidth, input.width - 2 * margin)
  const h = Math.min(a.plateHeight, input.height - 2 * margin)
  const left = placement.endsWith('left') ? margin : placement.endsWith('right') ? input.width - margin - w : Math.round((input.width - w) / 2)
  const top = placement.startsWith('top') ? margin : input.height - margin - h
  const align = placement.endsWith('right') ? 'right' : placement === 'top' || placement === 'bottom' ? 'center' : 'left'
  return {
    placement,
    x: left,
    y: top,
    width: w,
    height: h,
    content: plateMarkup(input.style, a, w, h, align),
    vector: (defs: GlyphDefs) => plateMarkup(input.style, a, w, h, align, defs),
  }
}

function plateMarkup(style: NoticeStyle, a: Attempt, w: number, h: number, align: 'left' | 'right' | 'center', defs?: GlyphDefs): string {
  const s = a.size
  const fg = style.plate === 'dark' ? '#ffffff' : '#000000'
  const bg = style.plate === 'dark' ? '#000000' : '#ffffff'
  const opacity = style.plate === 'dark' ? 0.78 : 0.86
  const r = Math.min(0.25 * s, h / 4)
  const padX = PAD_X * s

  let out = `<rect width="${w}" height="${h}" rx="${round(r)}" fill="${bg}" fill-opacity="${opacity}"/>`
  let x0 = padX
  if (a.badge && style.icon) {
    out += iconMarkup(style.icon, padX, (h - a.badge) / 2, a.badge, fg, bg, defs)
    x0 += a.badge + 0.35 * s
  }
  const innerW = w - x0 - padX
  const rowsHeight = (a.rows.length - 1) * LINE * s + (ASC + DESC) * s
  const y0 = (h - rowsHeight) / 2
  let d = ''
  a.rows.forEach((row, i) => {
    const shaped = shapeText(row)
    const rw = shaped.width * s
    const x = align === 'left' ? x0 : align === 'right' ? x0 + innerW - rw : x0 + (innerW - rw) / 2
    const baseline = y0 + ASC * s + i * LINE * s
    d += defs ? defs.uses(shaped, x, baseline, s) : textPath(shaped, x, baseline, s)
  })
  out += defs ? `<g fill="${fg}">${d}</g>` : `<path fill="${fg}" d="${d}"/>`
  return out
}

const round = (v: number) => Math.round(v * 100) / 100

/**
 * One icon of side `b` at (x, y). basic: "AI" knocked out of a filled square; generated: the same
 * with a four-pointed spark in the top corner (made whole by AI); modified: "AI" in an outlined
 * square with one corner filled (partly changed by AI). The glyphs are the notice font's, as outlines.
 */
function iconMarkup(icon: NoticeIcon, x: number, y: number, b: number, fg: string, bg: string, defs?: GlyphDefs): string {
  const r = round(b * 0.18)
  if (icon.kind === 'image') {
    return `<image x="${round(x)}" y="${round(y)}" width="${round(b)}" height="${round(b)}" preserveAspectRatio="xMidYMid meet" href="${icon.href}"/>`
  }
  const ai = shapeText('AI')
  const fs = b * 0.5
  const ax = x + (b - ai.width * fs) / 2
  const ay = y + b / 2 + fs * 0.36
  const letters = (fill: string) => (defs ? `<g fill="${fill}">${defs.uses(ai, ax, ay, fs)}</g>` : `<path fill="${fill}" d="${textPath(ai, ax, ay, fs)}"/>`)
  if (icon.kind === 'modified') {
    // An outlined square, the letters in the text colour, and its bottom-right corner filled.
    const t = b * 0.09
    const frame = `<rect x="${round(x + t / 2)}" y="${round(y + t / 2)}" width="${round(b - t)}" height="${round(b - t)}" rx="${r}" fill="none" stroke="${fg}" stroke-width="${round(t)}"/>`
    const corner = `<path fill="${fg}" d="M${round(x + b)} ${round(y + b * 0.62)}V${round(y + b - r)}Q${round(x + b)} ${round(y + b)} ${round(x + b - r)} ${round(y + b)}H${round(x + b * 0.62)}Z"/>`
    return `${frame}${corner}${letters(fg)}`
  }
  let out = `<rect x="${round(x)}" y="${round(y)}" width="${round(b)}" height="${round(b)}" rx="${r}" fill="${fg}"/>${letters(bg)}`
  if (icon.kind === 'generated') {
    // A spark in the top right corner, in the plate's colour.
    const cx = x + b * 0.8
    const cy = y + b * 0.2
    const R = b * 0.13
    const k = R * 0.28
    out += `<path fill="${bg}" d="M${round(cx)} ${round(cy - R)}L${round(cx + k)} ${round(cy - k)}L${round(cx + R)} ${round(cy)}L${round(cx + k)} ${round(cy + k)}L${round(cx)} ${round(cy + R)}L${round(cx - k)} ${round(cy + k)}L${round(cx - R)} ${round(cy)}L${round(cx - k)} ${round(cy - k)}Z"/>`
  }
  return out
}

/** A standalone SVG document for one plate, for rasterising. */
export function plateSvg(plate: PlacedPlate): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${plate.width}" height="${plate.height}" viewBox="0 0 ${plate.width} ${plate.height}">${plate.content}</svg>`
}
