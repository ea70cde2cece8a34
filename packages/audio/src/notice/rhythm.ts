import { InvalidOptionError } from '@tanba/core'

/**
 * The audible notice: the rhythm "short-long-short-short" (Morse "AI": · − · ·) as a sine tone,
 * and a detector that finds it again in decoded samples.
 */

export interface RhythmOptions {
  /** Tone frequency in Hz (default 1000). */
  frequency?: number
  /** Length of a short element ("dot") in ms (default 150). */
  shortMs?: number
  /** Length of a long element ("dash") in ms (default 3 × shortMs). */
  longMs?: number
  /** Silence between elements in ms (default shortMs). */
  gapMs?: number
  /** Silence before the first element in ms (default 100). */
  leadMs?: number
  /** Silence after the last element in ms (default 300). */
  tailMs?: number
  /** Tone level relative to the programme's RMS loudness, in dB (default 0: as loud as the programme). */
  levelDb?: number
  /** Tone level used when the programme is silent or too quiet to measure, in dBFS (default -20). */
  fallbackDbfs?: number
  /** Fade in/out of each element in ms, so elements start and stop without clicks (default 5). */
  rampMs?: number
}

export type ResolvedRhythm = Required<RhythmOptions>

export function resolveRhythm(options: RhythmOptions = {}): ResolvedRhythm {
  const shortMs = positive(options.shortMs, 150, 'shortMs')
  return {
    frequency: positive(options.frequency, 1000, 'frequency'),
    shortMs,
    longMs: positive(options.longMs, shortMs * 3, 'longMs'),
    gapMs: positive(options.gapMs, shortMs, 'gapMs'),
    leadMs: nonNegative(options.leadMs, 100, 'leadMs'),
    tailMs: nonNegative(options.tailMs, 300, 'tailMs'),
    levelDb: finite(options.levelDb, 0, 'levelDb'),
    fallbackDbfs: finite(options.fallbackDbfs, -20, 'fallbackDbfs'),
    rampMs: nonNegative(options.rampMs, 5, 'rampMs'),
  }
}

/** The element pattern of Morse "AI": short, long, short, short. */
export const RHYTHM_PATTERN = ['short', 'long', 'short', 'short'] as const

/** Peak ceiling for the tone: -1 dBFS. */
const PEAK_CEILING = 10 ** (-1 / 20)

/** The tone amplitude (peak, 0..1) for a programme whose RMS is `programmeRms` (0..1, full-scale sine = 0.707). */
export function toneAmplitude(rhythm: ResolvedRhythm, programmeRms: number | null): number {
  const quiet = programmeRms === null || !(programmeRms > 10 ** (-60 / 20))
  const rms = quiet ? 10 ** (rhythm.fallbackDbfs / 20) : programmeRms * 10 ** (rhythm.levelDb / 20)
  return Math.min(PEAK_CEILING, rms * Math.SQRT2)
}

/** Number of samples of the rhythm (lead + elements + gaps + tail) at `sampleRate`. */
export function rhythmLength(rhythm: ResolvedRhythm, sampleRate: number): number {
  const ms = rhythm.leadMs + 3 * rhythm.shortMs + rhythm.longMs + 3 * rhythm.gapMs + rhythm.tailMs
  return Math.round((ms * sampleRate) / 1000)
}

/** Renders the rhythm as mono float samples in -1..1 (silence elsewhere), `length` samples long (≥ rhythmLength). */
export function renderRhythm(rhythm: ResolvedRhythm, sampleRate: number, amplitude: number, length = rhythmLength(rhythm, sampleRate)): Float32Array {
  const out = new Float32Array(length)
  const ms = (v: number) => Math.round((v * sampleRate) / 1000)
  const ramp = Math.max(1, ms(rhythm.rampMs))
  const w = (2 * Math.PI * rhythm.frequency) / sampleRate
  let t = ms(rhythm.leadMs)
  for (const [i, kind] of RHYTHM_PATTERN.entries()) {
    const n = ms(kind === 'long' ? rhythm.longMs : rhythm.shortMs)
    for (let k = 0; k < n && t + k < length; k++) {
      const edge = Math.min(k, n - 1 - k)
      const gain = edge < ramp ? 0.5 - 0.5 * Math.cos((Math.PI * edge) / ramp) : 1
      out[t + k] = amplitude * gain * Math.sin(w * k)
    }
    t += n + (i < RHYTHM_PATTERN.length - 1 ? ms(rhythm.gapMs) : 0)
  }
  return out
}

export interface RhythmDetection {
  found: boolean
  /** Start of the first element, in seconds from the start of the analysed samples. */
  at?: number
  /** Measured element lengths in ms (on, off, on, ...). */
  elementsMs?: number[]
  /** Estimated tone frequency in Hz (from zero crossings of the first element). */
  frequency?: number
  reason?: string
}

/**
 * Looks for four tone bursts in the pattern short-long-short-short within the first samples
 * (mono, -1..1). Works on lossy decodes: it reads a 10 ms RMS envelope, not exact sample values.
 */
export function detectRhythm(samples: Float32Array, sampleRate: number, options: { windowMs?: number; searchSeconds?: number; from?: 'start' | 'end' } = {}): RhythmDetection {
  const fromEnd = options.from === 'end'
  const win = Math.max(1, Math.round(((options.windowMs ?? 10) * sampleRate) / 1000))
  const span = Math.min(samples.length, Math.round((options.searchSeconds ?? 6) * sampleRate))
  const base = fromEnd ? samples.length - span : 0
  const count = Math.floor(span / win)
  if (count < 8) return { found: false, reason: 'too few samples to analyse' }
  const env = new Float64Array(count)
  let peak = 0
  for (let i = 0; i < count; i++) {
    let s = 0
    for (let k = base + i * win, e = k + win; k < e; k++) s += samples[k]! * samples[k]!
    env[i] = Math.sqrt(s / win)
    if (env[i]! > peak) peak = env[i]!
  }
  if (peak < 1e-4) return { found: false, reason: `the ${fromEnd ? 'end' : 'start'} is silent` }
  // The notice is the first (or last) loud stretch: set the on/off threshold from its neighbourhood.
  let edge = -1
  if (fromEnd) {
    for (let i = count - 1; i >= 0; i--) if (env[i]! > peak * 0.1) ((edge = i), (i = -1))
  } else edge = env.findIndex((v) => v > peak * 0.1)
  const near = env.subarray(fromEnd ? Math.max(0, edge - 19) : edge, fromEnd ? edge + 1 : Math.min(count, edge + 20))
  const threshold = Math.max(1e-4, Math.max(...Array.from(near)) * 0.2)
  const runs: { on: boolean; start: number; length: number }[] = []
  for (let i = 0; i < count; i++) {
    const on = env[i]! > threshold
    const last = runs[runs.length - 1]
    if (last && last.on === on) last.length++
    else runs.push({ on, start: i, length: 1 })
  }
  let seq: typeof runs
  let outside: (typeof runs)[number] | undefined
  if (fromEnd) {
    let lastOn = runs.length - 1
    while (lastOn >= 0 && !runs[lastOn]!.on) lastOn--
    seq = runs.slice(Math.max(0, lastOn - 6), lastOn + 1)
    outside = runs[lastOn - 7]
  } else {
    const firstOn = runs.findIndex((r) => r.on)
    seq = runs.slice(firstOn, firstOn + 7)
    outside = runs[firstOn + 7]
  }
  if (seq.length < 7 || !seq[0]!.on) return { found: false, reason: `fewer than four tone bursts at the ${fromEnd ? 'end' : 'start'}` }
  const ons = [seq[0]!, seq[2]!, seq[4]!, seq[6]!].map((r) => r.length)
  const offs = [seq[1]!, seq[3]!, seq[5]!].map((r) => r.length)
  const shorts = [ons[0]!, ons[2]!, ons[3]!]
  const unit = shorts.slice().sort((a, b) => a - b)[1]!
  const elementsMs = seq.map((r) => (r.length * win * 1000) / sampleRate)
  const close = (v: number, ref: number) => v >= ref * 0.6 - 1 && v <= ref * 1.4 + 1
  const ok = shorts.every((x) => close(x, unit)) && ons[1]! >= unit * 2 && offs.every((g) => g >= unit * 0.4 - 1 && g <= unit * 2.5 + 1)
  // The pattern must stand apart: silence (or the edge of the excerpt) around it.
  const apart = !outside || !outside.on
  if (!ok || !apart) return { found: false, elementsMs, reason: `the bursts at the ${fromEnd ? 'end' : 'start'} do not follow short-long-short-short` }
  // Frequency from zero crossings of the first element.
  const s0 = base + seq[0]!.start * win
  const s1 = s0 + seq[0]!.length * win
  let crossings = 0
  for (let k = s0 + 1; k < s1; k++) if ((samples[k - 1]! < 0) !== (samples[k]! < 0)) crossings++
  const frequency = Math.round((crossings / 2) * (sampleRate / Math.max(1, s1 - s0)))
  return { found: true, at: s0 / sampleRate, elementsMs, frequency }
}

function positive(v: number | undefined, d: number, name: string): number {
  if (v === undefined) return d
  if (!(typeof v === 'number' && Number.isFinite(v) && v > 0)) throw new InvalidOptionError(`audio.rhythm.${name} must be a positive number, got ${String(v)}`, { details: { option: `adapterOptions.audio.rhythm.${name}` } })
  return v
}
function nonNegative(v: number | undefined, d: number, name: string): number {
  if (v === undefined) return d
  if (!(typeof v === 'number' && Number.isFinite(v) && v >= 0)) throw new InvalidOptionError(`audio.rhythm.${name} must be zero or more, got ${String(v)}`, { details: { option: `adapterOptions.audio.rhythm.${name}` } })
  return v
}
function finite(v: number | undefined, d: number, name: string): number {
  if (v === undefined) return d
  if (!(typeof v === 'number' && Number.isFinite(v))) throw new InvalidOptionError(`audio.rhythm.${name} must be a number, got ${String(v)}`, { details: { option: `adapterOptions.audio.rhythm.${name}` } })
  return v
}
