// Pixel arrays in, a small luma grid out: the embedder's mask and the detector both work on the image
// brought to GRID_SHORT pixels on its shorter side (two grid pixels per watermark cell).

export const GRID_SHORT = 256

/** Interleaved 8-bit pixels: 1 (luma), 3 (RGB) or 4 (RGBA) channels, row-major, top row first. */
export interface PixelImage {
  data: Uint8Array | Uint8ClampedArray
  width: number
  height: number
  channels: 1 | 3 | 4
}

export interface LumaGrid {
  width: number
  height: number
  /** Mean luma of each grid pixel. */
  luma: Float32Array
  /** Mean absolute horizontal luma difference inside each grid pixel at full resolution (fine texture). */
  texture: Float32Array
}

/** Grid size for an image: GRID_SHORT on the shorter side, the other side in proportion. */
export function gridSize(width: number, height: number): { width: number; height: number; scale: number } {
  const scale = GRID_SHORT / Math.min(width, height)
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)), scale }
}

/**
 * Area-averages the luma (BT.601 weights) of `rows` [y0, y1) of an image into its grid; images
 * smaller than the grid are sampled bilinearly instead.
 */
export function lumaGrid(img: PixelImage, y0 = 0, y1 = img.height): LumaGrid {
  const h = y1 - y0
  const { width: gw, height: gh } = gridSize(img.width, h)
  const luma = new Float32Array(gw * gh)
  const texture = new Float32Array(gw * gh)
  const { data, width, channels: ch } = img
  if (img.width < gw || h < gh) {
    for (let gy = 0; gy < gh; gy++) {
      const sy = Math.min(h - 1, Math.max(0, ((gy + 0.5) * h) / gh - 0.5))
      const ya = Math.floor(sy)
      const yb = Math.min(h - 1, ya + 1)
      const fy = sy - ya
      for (let gx = 0; gx < gw; gx++) {
        const sx = Math.min(width - 1, Math.max(0, ((gx + 0.5) * width) / gw - 0.5))
        const xa = Math.floor(sx)
        const xb = Math.min(width - 1, xa + 1)
        const fx = sx - xa
        const l = (x: number, y: number) => lumaAt(data, ((y0 + y) * width + x) * ch, ch)
        luma[gy * gw + gx] = (1 - fy) * ((1 - fx) * l(xa, ya) + fx * l(xb, ya)) + fy * ((1 - fx) * l(xa, yb) + fx * l(xb, yb))
      }
    }
    return { width: gw, height: gh, luma, texture }
  }
  // Large images are sampled every `step` rows and columns: a grid pixel still averages step² or more
  // samples, and the mark (two grid pixels per cell) varies far more slowly than the sampling rate.
  const step = Math.max(1, Math.floor(Math.min(width, h) / (2 * GRID_SHORT)))
  const xmap = new Int32Array(width)
  for (let x = 0; x < width; x++) xmap[x] = Math.min(gw - 1, Math.floor((x * gw) / width))
  const count = new Float32Array(gw * gh)
  for (let y = 0; y < h; y += step) {
    const row = Math.min(gh - 1, Math.floor((y * gh) / h)) * gw
    let p = (y0 + y) * width * ch
    let prev = lumaAt(data, p, ch)
    for (let x = 0; x < width; x += step, p += ch * step) {
      const l = ch === 1 ? data[p]! : 0.299 * data[p]! + 0.587 * data[p + 1]! + 0.114 * data[p + 2]!
      const k = row + xmap[x]!
      luma[k]! += l
      texture[k]! += Math.abs(l - prev)
      count[k]! += 1
      prev = l
    }
  }
  for (let k = 0; k < luma.length; k++) {
    const c = count[k]! || 1
    luma[k] = luma[k]! / c
    texture[k] = texture[k]! / c
  }
  return { width: gw, height: gh, luma, texture }
}

function lumaAt(data: Uint8Array | Uint8ClampedArray, p: number, ch: number): number {
  return ch === 1 ? data[p]! : 0.299 * data[p]! + 0.587 * data[p + 1]! + 0.114 * data[p + 2]!
}

/** Separable box blur of radius r with edge clamping. */
export function boxBlur(src: Float32Array, w: number, h: number, r: number): Float32Array {
  const tmp = new Float32Array(w * h)
  const out = new Float32Array(w * h)
  const n = 2 * r + 1
  for (let y = 0; y < h; y++) {
    const o = y * w
    for (let x = 0; x < w; x++) {
      let s = 0
      for (let k = -r; k <= r; k++) s += src[o + Math.min(w - 1, Math.max(0, x + k))]!
      tmp[o + x] = s / n
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0
      for (let k = -r; k <= r; k++) s += tmp[Math.min(h - 1, Math.max(0, y + k)) * w + x]!
      out[y * w + x] = s / n
    }
  }
  return out
}
