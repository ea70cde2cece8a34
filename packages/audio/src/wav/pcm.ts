/** Linear PCM sample encodings found in WAV files, and conversions to and from float. */
export type PcmKind = 'u8' | 's16' | 's24' | 's32' | 'f32' | 'f64'

export function pcmKind(formatTag: number, bitsPerSample: number, containerBytes: number): PcmKind | null {
  if (formatTag === 1) {
    if (containerBytes === 1) return 'u8'
    if (containerBytes === 2) return 's16'
    if (containerBytes === 3) return 's24'
    if (containerBytes === 4) return 's32'
  }
  if (formatTag === 3) {
    if (containerBytes === 4 && bitsPerSample === 32) return 'f32'
    if (containerBytes === 8 && bitsPerSample === 64) return 'f64'
  }
  return null
}

export function readSample(view: DataView, o: number, kind: PcmKind): number {
  switch (kind) {
    case 'u8':
      return (view.getUint8(o) - 128) / 128
    case 's16':
      return view.getInt16(o, true) / 32768
    case 's24':
      return ((view.getUint8(o) | (view.getUint8(o + 1) << 8) | (view.getInt8(o + 2) << 16)) >> 0) / 8388608
    case 's32':
      return view.getInt32(o, true) / 2147483648
    case 'f32':
      return view.getFloat32(o, true)
    case 'f64':
      return view.getFloat64(o, true)
  }
}

/** Writes a float sample (-1..1, clipped) in the given encoding. */
export function writeSample(view: DataView, o: number, kind: PcmKind, value: number): void {
  const v = value > 1 ? 1 : value < -1 ? -1 : value
  switch (kind) {
    case 'u8':
      view.setUint8(o, Math.min(255, Math.round(v * 128 + 128)))
      return
    case 's16':
      view.setInt16(o, Math.min(32767, Math.round(v * 32768)), true)
      return
    case 's24': {
      const n = Math.min(8388607, Math.round(v * 8388608))
      view.setUint8(o, n & 0xff)
      view.setUint8(o + 1, (n >> 8) & 0xff)
      view.setUint8(o + 2, (n >> 16) & 0xff)
      return
    }
    case 's32':
      view.setInt32(o, Math.min(2147483647, Math.round(v * 2147483648)), true)
      return
    case 'f32':
      view.setFloat32(o, v, true)
      return
    case 'f64':
      view.setFloat64(o, v, true)
  }
}

/**
 * RMS (0..1) of interleaved PCM, estimated from up to `blocks` evenly spaced runs of 1024 frames
 * so that a long file is not read in full. Returns null for an empty stream.
 */
export function estimatePcmRms(data: Uint8Array, kind: PcmKind, channels: number, blockAlign: number, blocks = 256): number | null {
  const frames = Math.floor(data.length / blockAlign)
  if (frames === 0) return null
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  const bytesPer = blockAlign / channels
  const run = Math.min(1024, frames)
  const n = Math.min(blocks, Math.max(1, Math.floor(frames / run)))
  const stride = n > 1 ? Math.floor((frames - run) / (n - 1)) : 0
  let sum = 0
  let count = 0
  for (let b = 0; b < n; b++) {
    const first = b * stride
    for (let f = first; f < first + run; f++) {
      for (let c = 0; c < channels; c++) {
        const s = readSample(view, f * blockAlign + c * bytesPer, kind)
        sum += s * s
        count++
      }
    }
  }
  return count ? Math.sqrt(sum / count) : null
}

/** Interleaves a mono float signal into every channel of the given encoding. */
export function encodeMonoToPcm(mono: Float32Array, kind: PcmKind, channels: number, blockAlign: number): Uint8Array {
  const out = new Uint8Array(mono.length * blockAlign)
  const view = new DataView(out.buffer)
  const bytesPer = blockAlign / channels
  for (let i = 0; i < mono.length; i++) {
    const v = mono[i]!
    if (v === 0 && kind !== 'u8') continue
    for (let c = 0; c < channels; c++) writeSample(view, i * blockAlign + c * bytesPer, kind, v)
  }
  return out
}

/** Mixes interleaved PCM frames [from, to) to mono float. */
export function decodePcmToMono(data: Uint8Array, kind: PcmKind, channels: number, blockAlign: number, from = 0, to = Math.floor(data.length / blockAlign)): Float32Array {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  const bytesPer = blockAlign / channels
  const out = new Float32Array(Math.max(0, to - from))
  for (let f = from; f < to; f++) {
    let s = 0
    for (let c = 0; c < channels; c++) s += readSample(view, f * blockAlign + c * bytesPer, kind)
    out[f - from] = s / channels
  }
  return out
}

/** RMS of float channels (0..1), or null when empty. */
export function rmsOf(channels: readonly Float32Array[], stride = 1): number | null {
  let sum = 0
  let count = 0
  for (const ch of channels) {
    for (let i = 0; i < ch.length; i += stride) {
      sum += ch[i]! * ch[i]!
      count++
    }
  }
  return count ? Math.sqrt(sum / count) : null
}

/** Linear-interpolation resampling of a mono signal (good enough for a spoken notice). */
export function resampleLinear(input: Float32Array, from: number, to: number): Float32Array {
  if (from === to) return input
  const length = Math.max(1, Math.round((input.length * to) / from))
  const out = new Float32Array(length)
  const ratio = from / to
  for (let i = 0; i < length; i++) {
    const x = i * ratio
    const k = Math.floor(x)
    const a = input[Math.min(k, input.length - 1)] ?? 0
    const b = input[Math.min(k + 1, input.length - 1)] ?? 0
    out[i] = a + (b - a) * (x - k)
  }
  return out
}
