// Glyphs without system fonts: Noto Sans (Latin, Cyrillic, Greek...) and Noto Sans SC (Chinese) from the
// @fontsource packages, loaded per unicode-range subset on first use and shaped with fontkit.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { DependencyError, InvalidOptionError } from '@tanba/core'
import type { Font, Glyph } from 'fontkit'

/** The weight drawn: bold reads best at small sizes and over busy pictures. */
export const NOTICE_WEIGHT = 700

interface Subset {
  file: string
  ranges: [number, number][]
  font?: Font
}

export interface ShapedGlyph {
  glyph: Glyph
  /** Position of the glyph origin in em (1 = the font size), y up. */
  x: number
  y: number
  /** 1 / unitsPerEm of the glyph's font. */
  scale: number
}

export interface ShapedText {
  glyphs: ShapedGlyph[]
  /** Advance width in em. */
  width: number
}

let fontkitModule: typeof import('fontkit') | undefined
let subsets: Subset[] | undefined
const shapeCache = new Map<string, ShapedText>()

function parseRanges(spec: string): [number, number][] {
  return spec.split(',').map((part) => {
    const [a, b] = part.trim().replace(/^U\+/i, '').split('-')
    const start = parseInt(a!, 16)
    return [start, b ? parseInt(b, 16) : start] as [number, number]
  })
}

function loadSubsets(): Subset[] {
  if (subsets) return subsets
  const require = createRequire(import.meta.url)
  const out: Subset[] = []
  const add = (pkg: string, prefix: string, order: (key: string) => number) => {
    let dir: string
    try {
      dir = dirname(require.resolve(`${pkg}/package.json`))
    } catch (cause) {
      throw new DependencyError('TANBA_DEPENDENCY_MISSING', `The font package "${pkg}" is needed to draw the visible warning; install it`, { cause })
    }
    const unicode = JSON.parse(readFileSync(join(dir, 'unicode.json'), 'utf8')) as Record<string, string>
    const keys = Object.keys(unicode).sort((a, b) => order(a) - order(b))
    for (const key of keys) {
      const name = key.replace(/^\[(\d+)\]$/, '$1')
      out.push({ file: join(dir, 'files', `${prefix}-${name}-${NOTICE_WEIGHT}-normal.woff`), ranges: parseRanges(unicode[key]!) })
    }
  }
  // Noto Sans first (Latin, Cyrillic, ...), then Noto Sans SC for CJK and whatever else it covers.
  const latinFirst = ['latin', 'latin-ext', 'cyrillic', 'cyrillic-ext', 'greek', 'greek-ext', 'vietnamese', 'devanagari']
  add('@fontsource/noto-sans', 'noto-sans', (k) => (latinFirst.indexOf(k) + 1 || 99))
  add('@fontsource/noto-sans-sc', 'noto-sans-sc', (k) => (/^\[\d+\]$/.test(k) ? Number(k.slice(1, -1)) : 1000))
  subsets = out
  return out
}

function fontFor(subset: Subset): Font {
  if (!subset.font) {
    fontkitModule ??= createRequire(import.meta.url)('fontkit') as typeof import('fontkit')
    subset.font = fontkitModule.create(readFileSync(subset.file))
  }
  return subset.font
}

/** The subset whose unicode-range covers the code point (and whose font really has the glyph). */
function subsetFor(cp: number): Subset | undefined {
  for (const s of loadSubsets()) {
    if (!s.ranges.some(([a, b]) => cp >= a && cp <= b)) continue
    if (fontFor(s).hasGlyphForCodePoint(cp)) return s
  }
  return undefined
}

/** Characters of `text` that no bundled font can draw (control and format characters ignored). */
export function missingCharacters(text: string): string[] {
  const out = new Set<string>()
  for (const ch of text) {
    if (/[\p{Cc}\p{Cf}\s]/u.test(ch)) continue
    if (!subsetFor(ch.codePointAt(0)!)) out.add(ch)
  }
  return [...out]
}

/** Shapes one line: runs of characters per font subset, each laid out by fontkit (kerning, marks). */
export function shapeText(text: string): ShapedText {
  const cached = shapeCache.get(text)
  if (cached) return cached
  const runs: { subset: Subset; text: string }[] = []
  for (const ch of text) {
    const cp = ch.codePointAt(0)!
    const last = runs[runs.length - 1]
    // Spaces and combining marks stay in the current run when its font has them.
    if (last && (/[\s\p{M}]/u.test(ch) || last.subset.ranges.some(([a, b]) => cp >= a && cp <= b)) && fontFor(last.subset).hasGlyphForCodePoint(cp)) {
      last.text += ch
      continue
    }
    const subset = subsetFor(cp)
    if (!subset) throw new InvalidOptionError(`The notice text contains ${JSON.stringify(ch)} (U+${cp.toString(16).toUpperCase().padStart(4, '0')}), which the bundled Noto Sans fonts cannot draw`)
    if (last && last.subset === subset) last.text += ch
    else runs.push({ subset, text: ch })
  }
  const glyphs: ShapedGlyph[] = []
  let x = 0
  for (const run of runs) {
    const font = fontFor(run.subset)
    const scale = 1 / font.unitsPerEm
    const laid = font.layout(run.text)
    laid.glyphs.forEach((glyph, i) => {
      const pos = laid.positions[i]!
      glyphs.push({ glyph, x: x + pos.xOffset * scale, y: pos.yOffset * scale, scale })
      x += pos.xAdvance * scale
    })
  }
  const shaped = { glyphs, width: x }
  if (shapeCache.size > 2000) shapeCache.clear()
  shapeCache.set(text, shaped)
  return shaped
}

/**
 * SVG path data for shaped text at `size` px, origin (x, baseline), y down. Coordinates are
 * rounded to 1/100 px, which keeps the markup small and invisible at any scale.
 */
export function textPath(shaped: ShapedText, x: number, baseline: number, size: number): string {
  const r = (v: number) => Math.round(v * 100) / 100
  let d = ''
  for (const g of shaped.glyphs) {
    const k = size * g.scale
    const ox = x + g.x * size
    const oy = baseline - g.y * size
    for (const c of g.glyph.path.commands) {
      const a = c.args
      const p = (i: number) => `${r(ox + a[i]! * k)} ${r(oy - a[i + 1]! * k)}`
      switch (c.command) {
        case 'moveTo':
          d += `M${p(0)}`
          break
        case 'lineTo':
          d += `L${p(0)}`
          break
        case 'quadraticCurveTo':
          d += `Q${p(0)} ${p(2)}`
          break
        case 'bezierCurveTo':
          d += `C${p(0)} ${p(2)} ${p(4)}`
          break
        case 'closePath':
          d += 'Z'
          break
      }
    }
  }
  return d
}

/**
 * Glyph outlines defined once and placed with <use>: compact markup for vector output (SVG files),
 * where the same letter appears many times. Ids carry a prefix so two stamps never collide.
 */
export class GlyphDefs {
  private readonly ids = new Map<Glyph, string>()
  private readonly paths: string[] = []
  constructor(private readonly prefix: string) {}

  /** <use> elements for shaped text at `size` px with the origin at (x, baseline). */
  uses(shaped: ShapedText, x: number, baseline: number, size: number): string {
    const r = (v: number) => Math.round(v * 100) / 100
    let out = ''
    for (const g of shaped.glyphs) {
      if (!g.glyph.path.commands.length) continue
      let id = this.ids.get(g.glyph)
      if (!id) {
        id = `${this.prefix}${this.ids.size}`
        this.ids.set(g.glyph, id)
        this.paths.push(`<path id="${id}" d="${fontUnitsPath(g.glyph)}"/>`)
      }
      const k = size * g.scale
      out += `<use href="#${id}" transform="translate(${r(x + g.x * size)} ${r(baseline - g.y * size)}) scale(${+k.toPrecision(5)} ${+(-k).toPrecision(5)})"/>`
    }
    return out
  }

  /** The <defs> element holding every glyph used so far. */
  defs(): string {
    return this.paths.length ? `<defs>${this.paths.join('')}</defs>` : ''
  }
}

/** A glyph outline in font units (integers, y up), as SVG path data. */
function fontUnitsPath(glyph: Glyph): string {
  let d = ''
  for (const c of glyph.path.commands) {
    const a = c.args.map((v) => Math.round(v))
    switch (c.command) {
      case 'moveTo':
        d += `M${a[0]} ${a[1]}`
        break
      case 'lineTo':
        d += `L${a[0]} ${a[1]}`
        break
      case 'quadraticCurveTo':
        d += `Q${a[0]} ${a[1]} ${a[2]} ${a[3]}`
        break
      case 'bezierCurveTo':
        d += `C${a.join(' ')}`
        break
      case 'closePath':
        d += 'Z'
        break
    }
  }
  return d
}
