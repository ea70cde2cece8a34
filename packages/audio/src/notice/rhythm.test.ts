import { describe, expect, it } from 'vitest'
import { detectRhythm, renderRhythm, resolveRhythm, rhythmLength, toneAmplitude } from './rhythm.js'

describe('rhythm notice', () => {
  for (const rate of [8000, 22050, 44100, 48000, 96000]) {
    it(`renders short-long-short-short at ${rate} Hz and finds it again`, () => {
      const r = resolveRhythm()
      const tone = renderRhythm(r, rate, 0.5)
      expect(tone.length).toBe(rhythmLength(r, rate))
      const found = detectRhythm(tone, rate)
      expect(found.found).toBe(true)
      const [s1, , l, , s2, , s3] = found.elementsMs!
      expect(Math.abs(s1! - 150)).toBeLessThanOrEqual(20)
      expect(Math.abs(l! - 450)).toBeLessThanOrEqual(20)
      expect(Math.abs(s2! - 150)).toBeLessThanOrEqual(20)
      expect(Math.abs(s3! - 150)).toBeLessThanOrEqual(20)
      expect(Math.abs(found.frequency! - 1000)).toBeLessThan(30)
    })
  }

  it('honours frequency, element lengths and level options', () => {
    const r = resolveRhythm({ frequency: 600, shortMs: 100, longMs: 400, gapMs: 80, levelDb: -6 })
    const tone = renderRhythm(r, 44100, toneAmplitude(r, 0.2))
    const found = detectRhythm(tone, 44100)
    expect(found.found).toBe(true)
    expect(Math.abs(found.frequency! - 600)).toBeLessThan(20)
    let peak = 0
    for (const v of tone) peak = Math.max(peak, Math.abs(v))
    // RMS of the tone = programme RMS − 6 dB, so its peak is 0.2 × 0.501 × √2.
    expect(peak).toBeCloseTo(0.2 * 10 ** (-6 / 20) * Math.SQRT2, 2)
  })

  it('caps the tone at -1 dBFS and uses the fallback level for silence', () => {
    const r = resolveRhythm({ levelDb: 20 })
    expect(toneAmplitude(r, 0.9)).toBeCloseTo(10 ** (-1 / 20), 5)
    expect(toneAmplitude(r, 0)).toBeCloseTo(10 ** (-20 / 20) * Math.SQRT2, 5)
  })

  it('finds the rhythm at the end of a stream', () => {
    const rate = 16000
    const r = resolveRhythm()
    const tone = renderRhythm(r, rate, 0.3)
    const music = new Float32Array(rate * 2).map((_, i) => 0.3 * Math.sin(i / 7) * Math.sin(i / 3000))
    const all = new Float32Array(music.length + tone.length)
    all.set(music)
    all.set(tone, music.length)
    expect(detectRhythm(all, rate, { from: 'end' }).found).toBe(true)
    expect(detectRhythm(all, rate).found).toBe(false)
  })

  it('does not mistake other sounds for the rhythm', () => {
    const rate = 22050
    const beeps = new Float32Array(rate * 3)
    // Four equal beeps (short-short-short-short) and continuous music are not the notice.
    for (let b = 0; b < 4; b++) for (let i = 0; i < rate * 0.15; i++) beeps[Math.round(rate * (0.1 + b * 0.3)) + i] = 0.4 * Math.sin(i * 0.3)
    expect(detectRhythm(beeps, rate).found).toBe(false)
    const music = new Float32Array(rate * 3).map((_, i) => 0.3 * Math.sin(i / 5) + 0.1 * Math.sin(i / 50))
    expect(detectRhythm(music, rate).found).toBe(false)
    expect(detectRhythm(new Float32Array(rate), rate).found).toBe(false)
  })
})
