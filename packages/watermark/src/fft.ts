// An in-place radix-2 complex FFT and the 2-D circular cross-correlation the detector runs per scale.

/** In-place FFT of length n (a power of two) on separate real and imaginary arrays; inverse unscaled. */
export function fft1(re: Float64Array, im: Float64Array, inverse: boolean): void {
  const n = re.length
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1
    for (; j & bit; bit >>= 1) j ^= bit
    j ^= bit
    if (i < j) {
      let t = re[i]!
      re[i] = re[j]!
      re[j] = t
      t = im[i]!
      im[i] = im[j]!
      im[j] = t
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = ((inverse ? 2 : -2) * Math.PI) / len
    const wr = Math.cos(ang)
    const wi = Math.sin(ang)
    for (let i = 0; i < n; i += len) {
      let cr = 1
      let ci = 0
      for (let k = 0; k < len >> 1; k++) {
        const a = i + k
        const b = a + (len >> 1)
        const xr = re[b]! * cr - im[b]! * ci
        const xi = re[b]! * ci + im[b]! * cr
        re[b] = re[a]! - xr
        im[b] = im[a]! - xi
        re[a] = re[a]! + xr
        im[a] = im[a]! + xi
        const t = cr * wr - ci * wi
        ci = cr * wi + ci * wr
        cr = t
      }
    }
  }
}

/** In-place 2-D FFT of an n×n array stored row-major. */
export function fft2(re: Float64Array, im: Float64Array, n: number, inverse: boolean): void {
  const r = new Float64Array(n)
  const i = new Float64Array(n)
  for (let y = 0; y < n; y++) {
    const o = y * n
    for (let x = 0; x < n; x++) {
      r[x] = re[o + x]!
      i[x] = im[o + x]!
    }
    fft1(r, i, inverse)
    for (let x = 0; x < n; x++) {
      re[o + x] = r[x]!
      im[o + x] = i[x]!
    }
  }
  for (let x = 0; x < n; x++) {
    for (let y = 0; y < n; y++) {
      r[y] = re[y * n + x]!
      i[y] = im[y * n + x]!
    }
    fft1(r, i, inverse)
    for (let y = 0; y < n; y++) {
      re[y * n + x] = r[y]!
      im[y * n + x] = i[y]!
    }
  }
}

/**
 * Circular cross-correlation c[d] = sum_p a[p + d] * b[p] of an n×n array with a reference whose
 * spectrum (`refRe`, `refIm`, from fft2) was computed once.
 */
export function crossCorrelate(a: Float64Array, refRe: Float64Array, refIm: Float64Array, n: number): Float64Array {
  const re = Float64Array.from(a)
  const im = new Float64Array(n * n)
  fft2(re, im, n, false)
  for (let k = 0; k < n * n; k++) {
    // A · conj(B)
    const ar = re[k]!
    const ai = im[k]!
    re[k] = ar * refRe[k]! + ai * refIm[k]!
    im[k] = ai * refRe[k]! - ar * refIm[k]!
  }
  fft2(re, im, n, true)
  const scale = 1 / (n * n)
  for (let k = 0; k < n * n; k++) re[k] = re[k]! * scale
  return re
}
