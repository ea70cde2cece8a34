// The keyed tile: which of its 32×32 cells carry the synchronisation reference and which carry coded
// bits, with their pseudo-random signs. Public detection uses a fixed seed; an organisation key seeds
// a private pattern that only its holder can detect (or remove).
import { createSha256 } from '@tanba/core'
import { codedLength } from './code.js'
import { INFO_BITS } from './payload.js'

/** Cells across the image's shorter side. */
export const CELLS_SHORT = 128
/** Tile side in cells: the pattern repeats every TILE cells in both directions. */
export const TILE = 32
export const CODED_BITS = codedLength(INFO_BITS)
/** Chips (cells) per coded bit in one tile. */
export const CHIPS = 4
export const SYNC_CELLS = TILE * TILE - CODED_BITS * CHIPS
export const PUBLIC_SEED = 'tanba.watermark.public/1'

export interface TilePattern {
  /** Per cell: -1 when it carries a coded bit, else the index of the reference (sync) sign. */
  bitOf: Int16Array
  /** Per cell: its ±1 sign (the reference value on sync cells, the spreading sign on bit cells). */
  sign: Int8Array
  /** 96 whitening bits XORed into the information bits, so that flat or structured input decodes to noise. */
  whiten: Uint8Array
}

const cache = new Map<string, TilePattern>()

/** The tile for a seed: the public one by default, or "key:" + an organisation key. */
export function tilePattern(key?: string): TilePattern {
  const seed = key === undefined ? PUBLIC_SEED : `tanba.watermark.key/1\0${key}`
  const hit = cache.get(seed)
  if (hit) return hit
  const next = xoshiro(createSha256().update(seed).digest())
  const n = TILE * TILE
  const order = new Int32Array(n)
  for (let i = 0; i < n; i++) order[i] = i
  for (let i = n - 1; i > 0; i--) {
    const j = next() % (i + 1)
    const t = order[i]!
    order[i] = order[j]!
    order[j] = t
  }
  const bitOf = new Int16Array(n).fill(-1)
  const sign = new Int8Array(n)
  for (let k = 0; k < n; k++) {
    const cell = order[k]!
    bitOf[cell] = k < SYNC_CELLS ? -1 : (k - SYNC_CELLS) % CODED_BITS
    sign[cell] = next() & 1 ? 1 : -1
  }
  const whiten = new Uint8Array(INFO_BITS)
  for (let i = 0; i < INFO_BITS; i++) whiten[i] = next() & 1
  const pattern = { bitOf, sign, whiten }
  if (cache.size > 16) cache.clear()
  cache.set(seed, pattern)
  return pattern
}

/** The tile's cell values (±1) for a codeword: the reference on sync cells, sign·(2c-1) on bit cells. */
export function tileValues(pattern: TilePattern, coded: Uint8Array): Float32Array {
  const out = new Float32Array(TILE * TILE)
  for (let c = 0; c < out.length; c++) {
    const b = pattern.bitOf[c]!
    out[c] = b < 0 ? pattern.sign[c]! : pattern.sign[c]! * (coded[b]! ? 1 : -1)
  }
  return out
}

/** xoshiro128** seeded from 16 bytes; returns unsigned 32-bit integers. */
function xoshiro(seed: Uint8Array): () => number {
  const v = new DataView(seed.buffer, seed.byteOffset, 16)
  let a = v.getUint32(0) | 1
  let b = v.getUint32(4)
  let c = v.getUint32(8)
  let d = v.getUint32(12)
  return () => {
    const r = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0
    const t = b << 9
    c ^= a
    d ^= b
    b ^= c
    a ^= d
    c ^= t
    d = rotl(d, 11)
    return r
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k))
}
