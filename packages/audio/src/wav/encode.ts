import { InvalidOptionError, riffChunk, utf8 } from '@tanba/core'
import { joinBytes } from '../util.js'
import { pcmKind, writeSample } from './pcm.js'

export interface EncodeWavOptions {
  sampleRate: number
  /** 8, 16, 24 or 32 (integer) or 32/64 with float: true. */
  bitsPerSample: number
  float?: boolean
  /** LIST INFO tags, e.g. { INAM: 'Title', IART: 'Artist' }. */
  info?: Record<string, string>
}

/** Writes float samples (-1..1, one array per channel) as a PCM or float WAV file. */
export function encodeWav(channels: readonly Float32Array[], options: EncodeWavOptions): Uint8Array {
  const ch = channels.length
  const bytes = options.bitsPerSample / 8
  const tag = options.float ? 3 : 1
  const kind = pcmKind(tag, options.bitsPerSample, bytes)
  if (!kind || !ch) throw new InvalidOptionError(`encodeWav cannot write ${options.bitsPerSample}-bit ${options.float ? 'float' : 'integer'} audio with ${ch} channels`)
  const n = channels[0]!.length
  const blockAlign = ch * bytes
  const fmt = new Uint8Array(16)
  const f = new DataView(fmt.buffer)
  f.setUint16(0, tag, true)
  f.setUint16(2, ch, true)
  f.setUint32(4, options.sampleRate, true)
  f.setUint32(8, options.sampleRate * blockAlign, true)
  f.setUint16(12, blockAlign, true)
  f.setUint16(14, options.bitsPerSample, true)
  const data = new Uint8Array(n * blockAlign)
  const v = new DataView(data.buffer)
  for (let i = 0; i < n; i++) for (let c = 0; c < ch; c++) writeSample(v, i * blockAlign + c * bytes, kind, channels[c]![i]!)
  const chunks = [riffChunk('fmt ', fmt)]
  if (options.info && Object.keys(options.info).length) {
    const subs = Object.entries(options.info).map(([id, text]) => riffChunk(id, joinBytes([utf8(text), new Uint8Array([0])])))
    chunks.push(riffChunk('LIST', joinBytes([utf8('INFO'), ...subs])))
  }
  chunks.push(riffChunk('data', data))
  const body = joinBytes([utf8('WAVE'), ...chunks])
  const head = new Uint8Array(8)
  head.set(utf8('RIFF'))
  new DataView(head.buffer).setUint32(4, body.length, true)
  return joinBytes([head, body])
}
