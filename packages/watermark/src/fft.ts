// An in-place radix-2 complex FFT and the 2-D circular cross-correlation the detector runs per scale.

interface FftPlan {
  /** Bit-reversal partner of each index. */
  rev: Uint32Array
  /** cos and sin of -2πk/n for k < n/2 (the forward twiddles; the inverse conjugates them). */
  cos: Float64Array
  sin: Float64Array
}

const plans = new Map<number, FftPlan>()

/** The bit-reversal permutation and twiddle table for length n, computed once per length. */
function planFor(n: number): FftPlan {
  const hit = plans.get(n)
  if (hit) return hit
  const rev = new Uint32Array(n)
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1
    for (; j & bit; bit >>= 1) j ^= bit
    j ^= bit
    rev[i] = j
  }
  const half = Math.max(1, n >> 1)
  const cos = new Float64Array(half)
  const sin = new Float64Array(half)
  for (let k = 0; k < half; k++) {
    cos[k] = Math.cos((-2 * Math.PI * k) / n)
    sin[k] = Math.sin((-2 * Math.PI * k) / n)
  }
  const plan = { rev, cos, sin }
  plans.set(n, plan)
  return plan
}

/** In-place FFT of length n (a power of two) on separate real and imaginary arrays; inverse unscaled. */
export function fft1(re: Float64Array, im: Float64Array, inverse: boolean): void {
  const n = re.length
  const { rev, cos, sin } = planFor(n)
  for (let i = 1; i < n; i++) {
    const j = rev[i]!
    if (i < j) {
      let t = re[i]!
      re[i] = re[j]!
      re[j] = t
      t = im[i]!
      im[i] = im[j]!
      im[j] = t
    }
  }
  const sign = inverse ? -1 : 1
  for (let len = 2; len <= n; len <<= 1) {
    const half = len >> 1
    const stride = n / len
    for (let i = 0; i < n; i += len) {
      for (let k = 0; k < half; k++) {
        const cr = cos[k * stride]!
        const ci = sign * sin[k * stride]!
        const a = i + k
        const b = a + half
        const xr = re[b]! * cr - im[b]! * ci
        const xi = re[b]! * ci + im[b]! * cr
        re[b] = re[a]! - xr
        im[b] = im[a]! - xi
        re[a] = re[a]! + xr
        im[a] = im[a]! + xi
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
  // The pair with a zero second input: the same transforms and products.
  return crossCorrelatePair(a, new Float64Array(n * n), refRe, refIm, n)[0]
}

/**
 * Two circular cross-correlations with the same real reference for the cost of one: `a` and `b` go
 * in as the real and imaginary parts of one complex array; since the reference is real, the inverse
 * transform's real part is a's correlation and its imaginary part b's.
 */
export function crossCorrelatePair(a: Float64Array, b: Float64Array, refRe: Float64Array, refIm: Float64Array, n: number): [Float64Array, Float64Array] {
  const re = Float64Array.from(a)
  const im = Float64Array.from(b)
  fft2(re, im, n, false)
  for (let k = 0; k < n * n; k++) {
    const ar = re[k]!
    const ai = im[k]!
    re[k] = ar * refRe[k]! + ai * refIm[k]!
    im[k] = ai * refRe[k]! - ar * refIm[k]!
  }
  fft2(re, im, n, true)
  const scale = 1 / (n * n)
  for (let k = 0; k < n * n; k++) {
    re[k] = re[k]! * scale
    im[k] = im[k]! * scale
  }
  return [re, im]
}
