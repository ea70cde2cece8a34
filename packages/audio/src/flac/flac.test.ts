import { describe, expect, it } from 'vitest'
import { FLACDecoder } from '@wasm-audio-decoders/flac'
import { resolveLimits, stampWith, verifyWith, type StampOptions } from '@tanba/core'
import { createTestCredentials } from '@tanba/core/testing'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createAudioAdapter } from '../adapter.js'
import { FLAC_FORMAT } from '../formats.js'
import { encodeFlac } from './encoder.js'
import { flacCodec, parseFlac, scanFlacFrames } from './flac.js'
import { decodeFrame } from './frame.js'

const limits = resolveLimits()
const adapter = createAudioAdapter()
const creds = await createTestCredentials()
const root = new URL('../../../..', import.meta.url).pathname
const load = (p: string) => new Uint8Array(readFileSync(join(root, p)))
const opts = (extra: Partial<StampOptions> = {}): StampOptions => ({ signer: creds.signer, system: { name: 'Gen' }, owner: { name: 'Owner' }, c2pa: false, ...extra })

async function wasmDecode(bytes: Uint8Array) {
  const d = new FLACDecoder()
  await d.ready
  try {
    const r = await d.decodeFile(bytes)
    return { samples: r.samplesDecoded, errors: r.errors.length, channels: r.channelData }
  } finally {
    d.free()
  }
}

/** Decodes every frame with Tanba's own decoder (which checks each CRC-8 and CRC-16). */
function ownDecode(bytes: Uint8Array) {
  const f = parseFlac(bytes, limits)
  const scan = scanFlacFrames(bytes, f, limits)
  const numbers = scan.headers.map((h) => h.number)
  const channels: number[][] = Array.from({ length: f.info.channels }, () => [])
  for (const o of scan.offsets) {
    const d = decodeFrame(bytes, o, f.info)
    d.channels.forEach((c, i) => channels[i]!.push(...c))
  }
  return { info: f.info, numbers, headers: scan.headers, channels }
}

describe('FLAC audible notice', () => {
  const inputs: [string, () => Uint8Array][] = [
    ['corpus sample1.flac (24-bit, fixed 4608 blocks)', () => load('../shared/corpus/media/sample1.flac')],
    ['fixture programme.flac (24-bit 48 kHz, 4096 blocks, short last frame)', () => load('fixtures/audio/programme.flac')],
  ]
  for (const [name, input] of inputs) {
    it(`${name}: frames renumbered, checksums and STREAMINFO right, exact growth, original samples kept`, async () => {
      const bytes = input()
      const before = ownDecode(bytes)
      for (const placement of ['start', 'end', 'both'] as const) {
        const result = await stampWith(adapter, bytes, FLAC_FORMAT, opts({ notice: { placement } }))
        const after = ownDecode(result.bytes)
        // Frame numbers run 0, 1, 2, ... with no gap; every CRC checked by the decoder above.
        expect(after.numbers).toEqual(after.numbers.map((_, i) => i))
        const added = after.channels[0]!.length - before.channels[0]!.length
        expect(after.info.totalSamples).toBe(before.info.totalSamples + added)
        expect(after.info.md5).toBe('0'.repeat(32))
        const bs = before.info.minBlockSize
        const notice = Math.round(1.75 * before.info.sampleRate)
        const start = placement === 'end' ? 0 : Math.ceil(notice / bs) * bs
        expect(added).toBe(start + (placement === 'start' ? 0 : notice))
        // All frames but the last have the stream's block size.
        expect(after.headers.slice(0, -1).every((h) => h.blockSize === bs)).toBe(true)
        for (let c = 0; c < before.channels.length; c++) expect(after.channels[c]!.slice(start, start + before.channels[c]!.length)).toEqual(before.channels[c])
        const wasm = await wasmDecode(result.bytes)
        expect(wasm.errors).toBe(0)
        expect(wasm.samples).toBe(after.channels[0]!.length)
        const report = await verifyWith(adapter, result.bytes, FLAC_FORMAT, { trust: creds.trust })
        expect(report.status).toBe('valid')
        expect(report.markers.filter((m) => m.standard === 'notice').map((m) => m.carrier)).toEqual(placement === 'both' ? ['audio:start', 'audio:end'] : [`audio:${placement}`])
      }
    })
  }
})

describe('FLAC encoder and carriers', () => {
  it('encodes 8 to 24-bit streams that libFLAC (WebAssembly) decodes back exactly', async () => {
    for (const bits of [8, 16, 24]) {
      const n = 10000
      const max = 2 ** (bits - 1) - 1
      const pcm = [Int32Array.from({ length: n }, (_, i) => Math.round(max * 0.5 * Math.sin(i / 10))), Int32Array.from({ length: n }, (_, i) => Math.round(max * 0.3 * Math.sin(i / 17)))]
      const file = encodeFlac(pcm, { sampleRate: 44100, bitsPerSample: bits, blockSize: 1152 })
      const d = await wasmDecode(file)
      expect(d.errors).toBe(0)
      expect(d.samples).toBe(n)
      // The decoder hands back float32, which holds 24-bit values to within one step.
      for (let c = 0; c < 2; c++) for (let i = 0; i < n; i += 997) expect(Math.abs(Math.round(d.channels[c]![i]! * 2 ** (bits - 1)) - pcm[c]![i]!)).toBeLessThanOrEqual(bits === 24 ? 1 : 0)
    }
  })

  it('keeps other blocks, replaces its comments on restamp and reads the XMP block', async () => {
    const input = load('fixtures/audio/programme.flac')
    const once = await stampWith(adapter, input, FLAC_FORMAT, opts({ notice: { visible: false } }))
    const twice = await stampWith(adapter, once.bytes, FLAC_FORMAT, opts({ notice: { visible: false } }))
    const read = flacCodec.read(twice.bytes, limits)
    expect(read.tanba).toHaveLength(1)
    expect(read.tc260).toHaveLength(1)
    expect(read.xmp).toHaveLength(1)
    expect(read.fields.tags).toMatchObject({ title: 'Tanba test programme', artist: 'Tanba fixtures' })
    const f = parseFlac(twice.bytes, limits)
    expect(twice.bytes.subarray(f.framesStart)).toEqual(input.subarray(parseFlac(input, limits).framesStart))
  })
})
