import { InvalidOptionError, nodeCrypto, utf8 } from '@tanba/core'
import { joinBytes } from '../util.js'
import { buildVorbisComments } from '../vorbis-comment.js'
import { encodeFrame, type EncodeSpec } from './frame.js'

export interface EncodeFlacOptions {
  sampleRate: number
  /** 8 to 24. */
  bitsPerSample: number
  /** Samples per frame (default 4096). */
  blockSize?: number
  vendor?: string
  /** Vorbis comments, e.g. { TITLE: 'Test tone' }. */
  comments?: Record<string, string>
}

const RATE_CODES: Record<number, number> = { 88200: 1, 176400: 2, 192000: 3, 8000: 4, 16000: 5, 22050: 6, 24000: 7, 32000: 8, 44100: 9, 48000: 10, 96000: 11 }
const SIZE_CODES: Record<number, number> = { 8: 1, 12: 2, 16: 4, 20: 5, 24: 6 }

/**
 * Encodes integer PCM (one array per channel) as a FLAC file with fixed-predictor frames, a
 * STREAMINFO with the MD5 of the samples (when Node's crypto is at hand, else zero) and comments.
 * A small, honest encoder for fixtures and tests; it does not try to compress as well as libFLAC.
 */
export function encodeFlac(channels: readonly (Int32Array | Float64Array)[], options: EncodeFlacOptions): Uint8Array {
  const { sampleRate, bitsPerSample } = options
  const blockSize = options.blockSize ?? 4096
  if (!channels.length || channels.length > 8) throw new InvalidOptionError(`encodeFlac needs 1 to 8 channels, got ${channels.length}`)
  if (!SIZE_CODES[bitsPerSample]) throw new InvalidOptionError(`encodeFlac supports 8, 12, 16, 20 or 24 bits per sample, got ${bitsPerSample}`)
  if (blockSize < 16 || blockSize > 65535) throw new InvalidOptionError(`encodeFlac block size must be 16..65535, got ${blockSize}`)
  const n = channels[0]!.length
  let rateCode = RATE_CODES[sampleRate] ?? 0
  let rateExtra = new Uint8Array(0)
  if (!rateCode) {
    if (sampleRate % 10 === 0 && sampleRate / 10 <= 0xffff) ((rateCode = 14), (rateExtra = new Uint8Array([(sampleRate / 10) >> 8, (sampleRate / 10) & 0xff])))
    else if (sampleRate <= 0xffff) ((rateCode = 13), (rateExtra = new Uint8Array([sampleRate >> 8, sampleRate & 0xff])))
    else throw new InvalidOptionError(`encodeFlac cannot code a sample rate of ${sampleRate} Hz`)
  }
  const spec: EncodeSpec = { variable: false, rateCode, rateExtra, sizeCode: SIZE_CODES[bitsPerSample]!, bitsPerSample }
  const frames: Uint8Array[] = []
  let minFrame = 0xffffff
  let maxFrame = 0
  for (let s = 0, k = 0; s < n; s += blockSize, k++) {
    const part = channels.map((c) => Float64Array.from(c.subarray(s, Math.min(n, s + blockSize))))
    const frame = encodeFrame(part, spec, k)
    frames.push(frame)
    minFrame = Math.min(minFrame, frame.length)
    maxFrame = Math.max(maxFrame, frame.length)
  }
  const si = new Uint8Array(34)
  const v = new DataView(si.buffer)
  v.setUint16(0, blockSize)
  v.setUint16(2, blockSize)
  si.set([minFrame >> 16, (minFrame >> 8) & 0xff, minFrame & 0xff, maxFrame >> 16, (maxFrame >> 8) & 0xff, maxFrame & 0xff], 4)
  si[10] = sampleRate >> 12
  si[11] = (sampleRate >> 4) & 0xff
  si[12] = ((sampleRate & 0xf) << 4) | ((channels.length - 1) << 1) | ((bitsPerSample - 1) >> 4)
  si[13] = (((bitsPerSample - 1) & 0xf) << 4) | Math.floor(n / 2 ** 32)
  v.setUint32(14, n >>> 0)
  si.set(md5OfSamples(channels, bitsPerSample), 18)
  const comments = buildVorbisComments({ vendor: options.vendor ?? 'Tanba FLAC encoder', entries: Object.entries(options.comments ?? {}).map(([k, val]) => utf8(`${k}=${val}`)) })
  const block = (type: number, body: Uint8Array, last: boolean) => joinBytes([new Uint8Array([type | (last ? 0x80 : 0), body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff]), body])
  return joinBytes([utf8('fLaC'), block(0, si, false), block(4, comments, false), block(1, new Uint8Array(1024), true), ...frames])
}

/** MD5 of the samples as FLAC defines it: interleaved, little-endian, signed, in whole bytes per sample. */
function md5OfSamples(channels: readonly (Int32Array | Float64Array)[], bps: number): Uint8Array {
  const crypto = nodeCrypto()
  if (!crypto) return new Uint8Array(16)
  const bytes = Math.ceil(bps / 8)
  const n = channels[0]!.length
  const h = crypto.createHash('md5')
  const chunk = 4096
  const buf = new Uint8Array(chunk * channels.length * bytes)
  for (let s = 0; s < n; s += chunk) {
    const m = Math.min(chunk, n - s)
    let o = 0
    for (let i = 0; i < m; i++) {
      for (const c of channels) {
        let x = c[s + i]!
        for (let k = 0; k < bytes; k++) {
          buf[o++] = x & 0xff
          x >>= 8
        }
      }
    }
    h.update(buf.subarray(0, o))
  }
  return new Uint8Array(h.digest())
}
