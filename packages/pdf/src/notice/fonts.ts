import { readFile } from 'node:fs/promises'
import { inflateSync } from 'node:zlib'
import { createRequire } from 'node:module'
import { DependencyError, InvalidOptionError } from '@tanba/core'
import fontkit from '@pdf-lib/fontkit'

// The notice is set in Noto Sans (Latin, Cyrillic with the Kazakh letters, Greek, ...) and
// Noto Sans SC (Chinese), read from the @fontsource packages this package depends on, so no
// system font is ever needed. Fontsource ships each font as unicode-range slices (WOFF);
// a line of text is split into runs, each set in the first slice that has its glyphs.

export interface FontFace {
  /** Stable id, e.g. "noto-sans/cyrillic-ext" or "user/0". */
  id: string
  bytes: Uint8Array
  hasGlyph(codePoint: number): boolean
}

interface FontSlice {
  id: string
  ranges: [number, number][] | null
  load: () => Promise<Uint8Array>
}

/** A run of text set in one face. */
export interface TextRun {
  face: FontFace
  text: string
}

const require = createRequire(import.meta.url)
const faceCache = new Map<string, Promise<FontFace>>() // keyed by slice id and weight
const bundled = new Map<number, Promise<FontSlice[]>>()

/** Noto Sans slices first (latin before the others), then Noto Sans SC. */
async function bundledSlices(weight: number): Promise<FontSlice[]> {
  const out: FontSlice[] = []
  for (const pkg of ['noto-sans', 'noto-sans-sc']) {
    let unicode: Record<string, string>
    let dir: string
    try {
      const path = require.resolve(`@fontsource/${pkg}/unicode.json`)
      unicode = JSON.parse(await readFile(path, 'utf8')) as Record<string, string>
      dir = path.slice(0, -'unicode.json'.length)
    } catch (cause) {
      throw new DependencyError('TANBA_DEPENDENCY_MISSING', `The notice font package @fontsource/${pkg} is not installed; reinstall @tanba/pdf`, { cause })
    }
    const order = Object.keys(unicode).sort((a, b) => rank(a) - rank(b))
    for (const key of order) {
      const slice = key.replace(/^\[(\d+)\]$/, '$1')
      const file = `${dir}files/${pkg}-${slice}-${weight}-normal.woff`
      out.push({ id: `${pkg}/${slice}/${weight}`, ranges: parseRanges(unicode[key]!), load: async () => new Uint8Array(await readFile(file)) })
    }
  }
  return out
}

function rank(key: string): number {
  const order = ['latin', 'latin-ext', 'cyrillic', 'cyrillic-ext', 'greek', 'greek-ext', 'vietnamese']
  const i = order.indexOf(key)
  return i >= 0 ? i : 100
}

function parseRanges(text: string): [number, number][] {
  return text.split(',').map((part) => {
    const [a, b] = part.trim().replace(/^U\+/i, '').split('-')
    const lo = Number.parseInt(a!, 16)
    return [lo, b ? Number.parseInt(b, 16) : lo] as [number, number]
  })
}

async function loadFace(slice: FontSlice): Promise<FontFace> {
  let pending = faceCache.get(slice.id)
  if (!pending) {
    pending = slice.load().then((raw) => {
      // Unwrap WOFF once here: fontkit would otherwise re-inflate its tables on every embedding.
      const bytes = isWoff(raw) ? woffToSfnt(raw) : raw
      const font = fontkit.create(bytes as unknown as Buffer)
      return { id: slice.id, bytes, hasGlyph: (cp: number) => font.hasGlyphForCodePoint(cp) }
    })
    faceCache.set(slice.id, pending)
    pending.catch(() => faceCache.delete(slice.id))
  }
  return pending
}

export interface FontChainOptions {
  /** Extra fonts (TrueType, OpenType or WOFF bytes), tried before the bundled ones. */
  fonts?: Uint8Array[]
  weight?: number
}

/** Finds, for each character, the first face that has its glyph. */
export class FontChain {
  private readonly slices: Promise<FontSlice[]>

  constructor(options: FontChainOptions = {}) {
    const user: FontSlice[] = (options.fonts ?? []).map((bytes, i) => ({ id: `user/${i}`, ranges: null, load: async () => bytes }))
    const weight = options.weight ?? 500
    let slices = bundled.get(weight)
    if (!slices) {
      slices = bundledSlices(weight)
      bundled.set(weight, slices)
      slices.catch(() => bundled.delete(weight))
    }
    this.slices = slices.then((b) => [...user, ...b])
  }

  async faceFor(cp: number): Promise<FontFace | undefined> {
    for (const slice of await this.slices) {
      if (slice.ranges && !slice.ranges.some(([lo, hi]) => cp >= lo && cp <= hi)) continue
      let face: FontFace
      try {
        face = await loadFace(slice)
      } catch (cause) {
        if (slice.id.startsWith('user/')) throw new InvalidOptionError(`Font ${slice.id} given in adapterOptions.pdf.fonts cannot be read: ${(cause as Error).message}`, { cause, details: { option: 'adapterOptions.pdf.fonts' } })
        throw new DependencyError('TANBA_DEPENDENCY_FAILED', `The bundled notice font ${slice.id} cannot be read: ${(cause as Error).message}`, { cause })
      }
      if (face.hasGlyph(cp)) return face
    }
    return undefined
  }

  /** Splits text into runs by face. Spaces and marks stay with the run before them. */
  async runs(text: string): Promise<TextRun[]> {
    const out: TextRun[] = []
    const missing = new Set<string>()
    for (const ch of text) {
      const cp = ch.codePointAt(0)!
      const last = out[out.length - 1]
      if (last && last.face.hasGlyph(cp)) {
        last.text += ch
        continue
      }
      const face = await this.faceFor(cp)
      if (!face) {
        // Invisible format characters (ZWJ, variation selectors) are dropped rather than refused.
        if (/\p{Cf}|\p{M}/u.test(ch)) continue
        missing.add(`U+${cp.toString(16).toUpperCase().padStart(4, '0')}`)
        continue
      }
      out.push({ face, text: ch })
    }
    if (missing.size) {
      throw new InvalidOptionError(`The notice text has characters no bundled font covers (${[...missing].slice(0, 10).join(', ')}); pass a font that has them in adapterOptions.pdf.fonts`, { details: { option: 'adapterOptions.pdf.fonts' } })
    }
    return out
  }
}

function isWoff(bytes: Uint8Array): boolean {
  return bytes[0] === 0x77 && bytes[1] === 0x4f && bytes[2] === 0x46 && bytes[3] === 0x46 // "wOFF"
}

/** Rebuilds the TrueType/OpenType file inside a WOFF 1.0 container (tables inflated, 4-byte aligned). */
export function woffToSfnt(woff: Uint8Array): Uint8Array {
  const view = new DataView(woff.buffer, woff.byteOffset, woff.byteLength)
  const numTables = view.getUint16(12)
  const tables: { tag: number; checksum: number; data: Uint8Array }[] = []
  for (let i = 0; i < numTables; i++) {
    const at = 44 + i * 20
    const offset = view.getUint32(at + 4)
    const compLength = view.getUint32(at + 8)
    const origLength = view.getUint32(at + 12)
    if (offset + compLength > woff.length) throw new InvalidOptionError('A WOFF font table lies outside the file')
    const stored = woff.subarray(offset, offset + compLength)
    const data = compLength < origLength ? new Uint8Array(inflateSync(stored)) : stored
    if (data.length !== origLength) throw new InvalidOptionError('A WOFF font table does not inflate to its declared length')
    tables.push({ tag: view.getUint32(at), checksum: view.getUint32(at + 16), data })
  }
  let size = 12 + 16 * numTables
  for (const t of tables) size += (t.data.length + 3) & ~3
  const out = new Uint8Array(size)
  const ov = new DataView(out.buffer)
  ov.setUint32(0, view.getUint32(4)) // flavor
  ov.setUint16(4, numTables)
  const pow = 2 ** Math.floor(Math.log2(numTables))
  ov.setUint16(6, pow * 16)
  ov.setUint16(8, Math.log2(pow))
  ov.setUint16(10, numTables * 16 - pow * 16)
  let offset = 12 + 16 * numTables
  tables.forEach((t, i) => {
    const rec = 12 + i * 16
    ov.setUint32(rec, t.tag)
    ov.setUint32(rec + 4, t.checksum)
    ov.setUint32(rec + 8, offset)
    ov.setUint32(rec + 12, t.data.length)
    out.set(t.data, offset)
    offset += (t.data.length + 3) & ~3
  })
  return out
}
