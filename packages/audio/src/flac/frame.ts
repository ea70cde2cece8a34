import { crc16, crc8, MalformedInputError } from '@tanba/core'
import { BitReader, BitWriter } from './bits.js'

/** What a frame needs from STREAMINFO when its header says "see STREAMINFO". */
export interface StreamParams {
  sampleRate: number
  channels: number
  bitsPerSample: number
}

export interface FrameHeader {
  variable: boolean
  blockSize: number
  sampleRate: number
  /** Raw sample-rate code and the bytes that follow the coded number for codes 12-14. */
  rateCode: number
  rateExtra: Uint8Array
  channelAssignment: number
  channels: number
  bitsPerSample: number
  sizeCode: number
  /** Frame number (fixed block size) or first sample number (variable block size). */
  number: number
  /** Header length in bytes, CRC-8 included. */
  length: number
}

const RATE_TABLE = [0, 88200, 176400, 192000, 8000, 16000, 22050, 24000, 32000, 44100, 48000, 96000]
const SIZE_TABLE = [0, 8, 12, 0, 16, 20, 24, 32]

function blockSizeFor(code: number): number {
  if (code === 1) return 192
  if (code >= 2 && code <= 5) return 576 << (code - 2)
  if (code >= 8) return 256 << (code - 8)
  return 0
}

/** Parses a frame header at `o` (checking its CRC-8), or returns null when there is none. */
export function parseFrameHeader(b: Uint8Array, o: number, stream: StreamParams): FrameHeader | null {
  if (o + 6 > b.length || b[o] !== 0xff || (b[o + 1]! & 0xfe) !== 0xf8) return null
  const variable = (b[o + 1]! & 1) === 1
  const bsCode = b[o + 2]! >> 4
  const rateCode = b[o + 2]! & 15
  const channelAssignment = b[o + 3]! >> 4
  const sizeCode = (b[o + 3]! >> 1) & 7
  if (bsCode === 0 || rateCode === 15 || channelAssignment > 10 || sizeCode === 3 || b[o + 3]! & 1) return null
  // UTF-8-style coded number (up to 7 bytes).
  let p = o + 4
  const first = b[p++]!
  let extra = 0
  let number: number
  if (first < 0x80) number = first
  else if (first >= 0xc0 && first < 0xe0) ((extra = 1), (number = first & 0x1f))
  else if (first >= 0xe0 && first < 0xf0) ((extra = 2), (number = first & 0x0f))
  else if (first >= 0xf0 && first < 0xf8) ((extra = 3), (number = first & 0x07))
  else if (first >= 0xf8 && first < 0xfc) ((extra = 4), (number = first & 0x03))
  else if (first >= 0xfc && first < 0xfe) ((extra = 5), (number = first & 0x01))
  else if (first === 0xfe) ((extra = 6), (number = 0))
  else return null
  if (p + extra > b.length) return null
  for (let i = 0; i < extra; i++) {
    const c = b[p++]!
    if ((c & 0xc0) !== 0x80) return null
    number = number * 64 + (c & 0x3f)
  }
  let blockSize = blockSizeFor(bsCode)
  if (bsCode === 6) {
    if (p + 1 > b.length) return null
    blockSize = b[p++]! + 1
  } else if (bsCode === 7) {
    if (p + 2 > b.length) return null
    blockSize = ((b[p]! << 8) | b[p + 1]!) + 1
    p += 2
  }
  let sampleRate = rateCode === 0 ? stream.sampleRate : RATE_TABLE[rateCode] ?? 0
  const rateStart = p
  if (rateCode === 12) {
    if (p + 1 > b.length) return null
    sampleRate = b[p++]! * 1000
  } else if (rateCode === 13 || rateCode === 14) {
    if (p + 2 > b.length) return null
    sampleRate = ((b[p]! << 8) | b[p + 1]!) * (rateCode === 14 ? 10 : 1)
    p += 2
  }
  const rateExtra = b.slice(rateStart, p)
  if (p + 1 > b.length) return null
  if (crc8(b, o, p) !== b[p]) return null
  const bitsPerSample = sizeCode === 0 ? stream.bitsPerSample : SIZE_TABLE[sizeCode]!
  const channels = channelAssignment < 8 ? channelAssignment + 1 : 2
  return { variable, blockSize, sampleRate, rateCode, rateExtra, channelAssignment, channels, bitsPerSample, sizeCode, number, length: p + 1 - o }
}

/** Encodes a frame/sample number in FLAC's UTF-8-like form. */
export function codedNumber(n: number): Uint8Array {
  if (n < 0x80) return new Uint8Array([n])
  const out: number[] = []
  let bytes = 2
  while (bytes < 7 && n >= 2 ** (5 * bytes + 1)) bytes++
  let v = n
  for (let i = 0; i < bytes - 1; i++) {
    out.unshift(0x80 | (v % 64))
    v = Math.floor(v / 64)
  }
  const lead = bytes === 7 ? 0xfe : (0xff << (8 - bytes)) & 0xff
  out.unshift(lead | v)
  return new Uint8Array(out)
}

/** Serialises a frame header (with CRC-8) for `h`, using `number` as its frame or sample number. */
export function buildFrameHeader(h: Pick<FrameHeader, 'variable' | 'blockSize' | 'rateCode' | 'rateExtra' | 'channelAssignment' | 'sizeCode'>, number: number): Uint8Array {
  let bsCode: number
  let bsExtra: number[] = []
  const std = [192, 576, 1152, 2304, 4608, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768]
  const codes = [1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13, 14, 15]
  const idx = std.indexOf(h.blockSize)
  if (idx >= 0) bsCode = codes[idx]!
  else if (h.blockSize <= 256) ((bsCode = 6), (bsExtra = [h.blockSize - 1]))
  else ((bsCode = 7), (bsExtra = [(h.blockSize - 1) >> 8, (h.blockSize - 1) & 0xff]))
  const coded = codedNumber(number)
  const out = new Uint8Array(4 + coded.length + bsExtra.length + h.rateExtra.length + 1)
  out[0] = 0xff
  out[1] = 0xf8 | (h.variable ? 1 : 0)
  out[2] = (bsCode << 4) | h.rateCode
  out[3] = (h.channelAssignment << 4) | (h.sizeCode << 1)
  out.set(coded, 4)
  out.set(bsExtra, 4 + coded.length)
  out.set(h.rateExtra, 4 + coded.length + bsExtra.length)
  out[out.length - 1] = crc8(out, 0, out.length - 1)
  return out
}

// ---------------------------------------------------------------------------
// Decoding

const FIXED_COEFFS = [[], [1], [2, -1], [3, -3, 1], [4, -6, 4, -1]]

function decodeResidual(r: BitReader, blockSize: number, order: number, out: Float64Array): void {
  const method = r.read(2)
  if (method > 1) throw new MalformedInputError(`FLAC residual coding method ${method} is reserved`)
  const paramBits = method === 0 ? 4 : 5
  const escape = method === 0 ? 15 : 31
  const partitionOrder = r.read(4)
  const partitions = 1 << partitionOrder
  const perPartition = blockSize >> partitionOrder
  if (perPartition < order || (partitionOrder > 0 && perPartition << partitionOrder !== blockSize)) throw new MalformedInputError('FLAC residual partition order does not fit the block size')
  let i = order
  for (let p = 0; p < partitions; p++) {
    const count = p === 0 ? perPartition - order : perPartition
    const k = r.read(paramBits)
    if (k === escape) {
      const n = r.read(5)
      for (let j = 0; j < count; j++) out[i++] = r.readSigned(n)
    } else for (let j = 0; j < count; j++) out[i++] = r.readRice(k)
  }
}

function decodeSubframe(r: BitReader, blockSize: number, bps: number): Float64Array {
  if (r.read(1) !== 0) throw new MalformedInputError('FLAC subframe padding bit is not zero')
  const type = r.read(6)
  let wasted = 0
  if (r.read(1)) wasted = r.readUnary() + 1
  const bits = bps - wasted
  if (bits <= 0) throw new MalformedInputError('FLAC subframe wastes more bits than it has')
  const s = new Float64Array(blockSize)
  if (type === 0) {
    s.fill(r.readSigned(bits))
  } else if (type === 1) {
    for (let i = 0; i < blockSize; i++) s[i] = r.readSigned(bits)
  } else if (type >= 8 && type <= 12) {
    const order = type - 8
    if (order > blockSize) throw new MalformedInputError('FLAC fixed predictor order exceeds the block size')
    for (let i = 0; i < order; i++) s[i] = r.readSigned(bits)
    decodeResidual(r, blockSize, order, s)
    const c = FIXED_COEFFS[order]!
    for (let i = order; i < blockSize; i++) {
      let pred = 0
      for (let j = 0; j < order; j++) pred += c[j]! * s[i - 1 - j]!
      s[i]! += pred
    }
  } else if (type >= 32) {
    const order = type - 31
    if (order > blockSize) throw new MalformedInputError('FLAC LPC order exceeds the block size')
    for (let i = 0; i < order; i++) s[i] = r.readSigned(bits)
    const precision = r.read(4) + 1
    if (precision === 16) throw new MalformedInputError('FLAC LPC precision code 15 is invalid')
    const shift = r.readSigned(5)
    if (shift < 0) throw new MalformedInputError('FLAC LPC shift is negative')
    const coeffs = new Float64Array(order)
    for (let i = 0; i < order; i++) coeffs[i] = r.readSigned(precision)
    decodeResidual(r, blockSize, order, s)
    const div = 2 ** shift
    for (let i = order; i < blockSize; i++) {
      let sum = 0
      for (let j = 0; j < order; j++) sum += coeffs[j]! * s[i - 1 - j]!
      s[i]! += Math.floor(sum / div)
    }
  } else throw new MalformedInputError(`FLAC subframe type ${type} is reserved`)
  if (wasted) for (let i = 0; i < blockSize; i++) s[i]! *= 2 ** wasted
  return s
}

export interface DecodedFrame {
  header: FrameHeader
  /** Samples per channel as integers (in float64 to hold 32-bit side channels exactly). */
  channels: Float64Array[]
  /** Frame length in bytes, footer included. */
  length: number
}

/** Decodes one frame at `o`, checking its CRC-16. */
export function decodeFrame(b: Uint8Array, o: number, stream: StreamParams): DecodedFrame {
  const header = parseFrameHeader(b, o, stream)
  if (!header) throw new MalformedInputError(`Expected a FLAC frame header at offset ${o}`)
  const r = new BitReader(b, o + header.length)
  const bps = header.bitsPerSample
  const ca = header.channelAssignment
  const chans: Float64Array[] = []
  for (let c = 0; c < header.channels; c++) {
    const extra = (ca === 8 && c === 1) || (ca === 9 && c === 0) || (ca === 10 && c === 1) ? 1 : 0
    chans.push(decodeSubframe(r, header.blockSize, bps + extra))
  }
  r.alignByte()
  const end = r.bytePos + 2
  if (end > b.length) throw new MalformedInputError(`FLAC frame at offset ${o} is cut off before its CRC-16`)
  if (crc16(b, o, end) !== 0) throw new MalformedInputError(`FLAC frame at offset ${o} fails its CRC-16 check`)
  const n = header.blockSize
  if (ca === 8) for (let i = 0; i < n; i++) chans[1]![i] = chans[0]![i]! - chans[1]![i]!
  else if (ca === 9) for (let i = 0; i < n; i++) chans[0]![i] = chans[0]![i]! + chans[1]![i]!
  else if (ca === 10) {
    for (let i = 0; i < n; i++) {
      const side = chans[1]![i]!
      const mid = chans[0]![i]! * 2 + (side & 1)
      chans[0]![i] = (mid + side) / 2
      chans[1]![i] = (mid - side) / 2
    }
  }
  return { header, channels: chans, length: end - o }
}

// ---------------------------------------------------------------------------
// Encoding: fixed predictors (orders 0-4) with partitioned Rice residuals, or a constant subframe.

function riceCost(res: Float64Array, from: number, to: number, k: number): number {
  let bits = 0
  for (let i = from; i < to; i++) {
    const v = res[i]!
    const u = v >= 0 ? v * 2 : -v * 2 - 1
    bits += Math.floor(u / (1 << k)) + 1 + k
  }
  return bits
}

function bestRiceParam(res: Float64Array, from: number, to: number): number {
  let sum = 0
  for (let i = from; i < to; i++) sum += Math.abs(res[i]!)
  const mean = to > from ? sum / (to - from) : 0
  let k = mean > 0 ? Math.max(0, Math.floor(Math.log2(mean))) : 0
  k = Math.min(k, 14)
  let best = k
  let bestCost = riceCost(res, from, to, k)
  for (const c of [k - 1, k + 1]) {
    if (c < 0 || c > 14) continue
    const cost = riceCost(res, from, to, c)
    if (cost < bestCost) ((best = c), (bestCost = cost))
  }
  return best
}

function writeSubframe(w: BitWriter, s: Float64Array, bps: number): void {
  const n = s.length
  if (s.every((v) => v === s[0])) {
    w.write(8, 0) // pad + type constant, no wasted bits
    w.write(bps, s[0]!)
    return
  }
  // Choose the fixed order with the smallest residual magnitude.
  let bestOrder = 0
  let bestSum = Infinity
  const res = new Float64Array(n)
  for (let order = 0; order <= Math.min(4, n - 1); order++) {
    const c = FIXED_COEFFS[order]!
    let sum = 0
    for (let i = order; i < n; i++) {
      let pred = 0
      for (let j = 0; j < order; j++) pred += c[j]! * s[i - 1 - j]!
      sum += Math.abs(s[i]! - pred)
    }
    if (sum < bestSum) ((bestSum = sum), (bestOrder = order))
  }
  const order = bestOrder
  const c = FIXED_COEFFS[order]!
  for (let i = order; i < n; i++) {
    let pred = 0
    for (let j = 0; j < order; j++) pred += c[j]! * s[i - 1 - j]!
    res[i] = s[i]! - pred
  }
  // Rice partition order: the largest that divides the block, up to 4.
  let po = 0
  while (po < 4 && n % (1 << (po + 1)) === 0 && n >> (po + 1) > order) po++
  w.write(1, 0)
  w.write(6, 8 + order)
  w.write(1, 0)
  for (let i = 0; i < order; i++) w.write(bps, s[i]!)
  w.write(2, 0)
  w.write(4, po)
  const per = n >> po
  for (let p = 0; p < 1 << po; p++) {
    const from = p === 0 ? order : p * per
    const to = (p + 1) * per
    const k = bestRiceParam(res, from, to)
    w.write(4, k)
    for (let i = from; i < to; i++) w.writeRice(k, res[i]!)
  }
}

export interface EncodeSpec {
  variable: boolean
  rateCode: number
  rateExtra: Uint8Array
  sizeCode: number
  bitsPerSample: number
}

/** Encodes one frame of integer samples (one array per channel, equal lengths). Stereo is coded left/side. */
export function encodeFrame(channels: readonly Float64Array[], spec: EncodeSpec, number: number): Uint8Array {
  const n = channels[0]!.length
  const stereo = channels.length === 2
  const header = buildFrameHeader({ variable: spec.variable, blockSize: n, rateCode: spec.rateCode, rateExtra: spec.rateExtra, channelAssignment: stereo ? 8 : channels.length - 1, sizeCode: spec.sizeCode }, number)
  const w = new BitWriter()
  if (stereo) {
    const side = new Float64Array(n)
    for (let i = 0; i < n; i++) side[i] = channels[0]![i]! - channels[1]![i]!
    writeSubframe(w, channels[0]!, spec.bitsPerSample)
    writeSubframe(w, side, spec.bitsPerSample + 1)
  } else for (const ch of channels) writeSubframe(w, ch, spec.bitsPerSample)
  w.alignByte()
  const body = w.bytes()
  const out = new Uint8Array(header.length + body.length + 2)
  out.set(header)
  out.set(body, header.length)
  const crc = crc16(out, 0, out.length - 2)
  out[out.length - 2] = crc >> 8
  out[out.length - 1] = crc & 0xff
  return out
}

/** Finds where the frame at `o` ends: the next valid header at which the running CRC-16 is zero, or `end`. */
export function frameEnd(b: Uint8Array, o: number, end: number, stream: StreamParams, variable: boolean): number {
  // Running CRC-16 over [o, p): a frame followed by its own CRC leaves the register at zero.
  let crc = 0
  const t = crc16Table()
  const sync1 = variable ? 0xf9 : 0xf8
  for (let p = o; p < end; p++) {
    if (p > o + 2 && crc === 0 && b[p] === 0xff && b[p + 1] === sync1 && parseFrameHeader(b, p, stream)) return p
    crc = ((crc << 8) & 0xffff) ^ t[(crc >> 8) ^ b[p]!]!
  }
  if (crc === 0) return end
  throw new MalformedInputError(`The FLAC frame at offset ${o} does not end with a valid CRC-16 before the end of the data`)
}

let table: Uint16Array | undefined
function crc16Table(): Uint16Array {
  if (table) return table
  table = new Uint16Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n << 8
    for (let k = 0; k < 8; k++) c = c & 0x8000 ? ((c << 1) ^ 0x8005) & 0xffff : (c << 1) & 0xffff
    table[n] = c
  }
  return table
}
