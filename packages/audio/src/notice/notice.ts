import { InvalidOptionError, type Limits, type ResolvedNotice } from '@tanba/core'
import type { NoticeRequest } from '../types.js'
import { decodeWavClip } from '../wav/wav.js'
import { resampleLinear, rmsOf } from '../wav/pcm.js'
import { renderRhythm, resolveRhythm, rhythmLength, toneAmplitude, type RhythmOptions } from './rhythm.js'

/** A spoken notice supplied by the caller, e.g. a WAV file made with espeak-ng. */
export interface SpeechClip {
  /** A WAV file (linear PCM or float), any sample rate and channel count. */
  wav?: Uint8Array
  /** Or already-decoded mono samples in -1..1. */
  samples?: Float32Array
  sampleRate?: number
  /** Languages spoken in the clip (BCP 47); default: the notice languages. */
  langs?: string[]
  /** What the clip says, recorded in the label. */
  text?: string
  /** Silence between the rhythm and the speech, in ms (default 250). */
  gapMs?: number
}

export interface AudibleNoticeOptions {
  /** The rhythm notice "short-long-short-short"; false leaves it out (then a speech clip is required). */
  rhythm?: RhythmOptions | false
  speech?: SpeechClip
  /** Where to put the notice; default: the caller's notice placement ("start" unless "end" or "both"). */
  placement?: 'start' | 'end' | 'both'
}

export interface PreparedNotice {
  request: NoticeRequest
  method: 'audio-rhythm' | 'audio-speech'
  placement: 'start' | 'end' | 'both'
  langs: string[]
  text?: string
}

export function placementOf(notice: ResolvedNotice, options: AudibleNoticeOptions): 'start' | 'end' | 'both' {
  const p = options.placement ?? notice.placement
  return p === 'end' || p === 'both' ? p : 'start'
}

/** Builds the render function for the notice: rhythm, then (optionally) speech, then the rhythm's tail silence. */
export function prepareNotice(notice: ResolvedNotice, options: AudibleNoticeOptions, limits: Limits): PreparedNotice {
  const rhythm = options.rhythm === false ? null : resolveRhythm(options.rhythm ?? {})
  let clip: { samples: Float32Array; sampleRate: number } | null = null
  if (options.speech) {
    const s = options.speech
    if (s.wav) clip = decodeWavClip(s.wav, limits)
    else if (s.samples && s.sampleRate) clip = { samples: s.samples, sampleRate: s.sampleRate }
    else throw new InvalidOptionError('audio.speech needs either wav (a WAV file) or samples with sampleRate', { details: { option: 'adapterOptions.audio.speech' } })
    if (!clip.samples.length) throw new InvalidOptionError('audio.speech holds no samples', { details: { option: 'adapterOptions.audio.speech' } })
  }
  if (!rhythm && !clip) throw new InvalidOptionError('audio.rhythm is false and no audio.speech clip was given: there is no audible notice to add', { details: { option: 'adapterOptions.audio.rhythm' } })
  const placement = placementOf(notice, options)
  const gapMs = options.speech?.gapMs ?? 250
  const render = (sampleRate: number, programmeRms: number | null, minLength = 0): Float32Array => {
    const parts: Float32Array[] = []
    let amplitude = 0.1
    if (rhythm) {
      amplitude = toneAmplitude(rhythm, programmeRms)
      parts.push(renderRhythm(rhythm, sampleRate, amplitude))
    }
    if (clip) {
      const speech = resampleLinear(clip.samples, clip.sampleRate, sampleRate)
      // The speech gets the tone's RMS (or the programme's when there is no tone), peak-limited to -1 dBFS.
      const targetRms = rhythm ? amplitude / Math.SQRT2 : (programmeRms ?? 0.1)
      const rms = rmsOf([speech]) ?? 0
      let gain = rms > 0 ? targetRms / rms : 0
      let peak = 0
      for (const v of speech) peak = Math.max(peak, Math.abs(v))
      if (peak * gain > 0.891) gain = 0.891 / peak
      const scaled = new Float32Array(speech.length)
      for (let i = 0; i < speech.length; i++) scaled[i] = speech[i]! * gain
      parts.push(new Float32Array(Math.round((gapMs * sampleRate) / 1000)), scaled, new Float32Array(Math.round((0.3 * sampleRate))))
    }
    let length = 0
    for (const p of parts) length += p.length
    const out = new Float32Array(Math.max(length, minLength))
    let o = 0
    for (const p of parts) {
      out.set(p, o)
      o += p.length
    }
    return out
  }
  const langs = options.speech?.langs ?? notice.lines.map((l) => l.lang)
  return {
    request: { placement, render },
    method: rhythm ? 'audio-rhythm' : 'audio-speech',
    placement,
    langs,
    ...(options.speech?.text ? { text: options.speech.text } : {}),
  }
}

/** The notice length in samples (before any frame rounding) for a rhythm at a sample rate. */
export function naturalRhythmLength(options: RhythmOptions | undefined, sampleRate: number): number {
  return rhythmLength(resolveRhythm(options ?? {}), sampleRate)
}
