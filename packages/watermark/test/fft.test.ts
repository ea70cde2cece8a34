import { describe, expect, it } from 'vitest'
import { crossCorrelate, crossCorrelatePair, fft1, fft2 } from '../src/fft.js'

/** c[d] = Σ_p a[p + d] · b[p], circular, straight from the definition. */
function direct(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n)
  for (let dy = 0; dy < n; dy++) {
    for (let dx = 0; dx < n; dx++) {
      let s = 0
      for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) s += a[((y + dy) % n) * n + ((x + dx) % n)]! * b[y * n + x]!
      out[dy * n + dx] = s
    }
  }
  return out
}

function noise(n: number, seed: number): Float64Array {
  let s = seed
  return Float64Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1)
}

describe('fft', () => {
  it('the planned transform matches the DFT and inverts', () => {
    for (const n of [1, 2, 8, 64]) {
      const re = noise(n, n)
      const im = noise(n, n + 1)
      const fr = re.slice()
      const fi = im.slice()
      fft1(fr, fi, false)
      for (let k = 0; k < n; k++) {
        let sr = 0
        let si = 0
        for (let t = 0; t < n; t++) {
          const a = (-2 * Math.PI * k * t) / n
          sr += re[t]! * Math.cos(a) - im[t]! * Math.sin(a)
          si += re[t]! * Math.sin(a) + im[t]! * Math.cos(a)
        }
        expect(fr[k]).toBeCloseTo(sr, 9)
        expect(fi[k]).toBeCloseTo(si, 9)
      }
      fft1(fr, fi, true)
      for (let t = 0; t < n; t++) expect(fr[t]! / n).toBeCloseTo(re[t]!, 9)
    }
  })

  it('two correlations packed into one complex transform equal each computed alone and the definition', () => {
    const n = 16
    const ref = noise(n * n, 7)
    const refRe = ref.slice()
    const refIm = new Float64Array(n * n)
    fft2(refRe, refIm, n, false)
    const a = noise(n * n, 11)
    const b = noise(n * n, 13)
    const [ca, cb] = crossCorrelatePair(a, b, refRe, refIm, n)
    const da = direct(a, ref, n)
    const db = direct(b, ref, n)
    const single = crossCorrelate(b, refRe, refIm, n)
    for (let k = 0; k < n * n; k++) {
      expect(ca[k]).toBeCloseTo(da[k]!, 8)
      expect(cb[k]).toBeCloseTo(db[k]!, 8)
      expect(single[k]).toBeCloseTo(db[k]!, 8)
    }
  })
})
