import { describe, expect, it } from 'vitest'
import { resolveLimits, riffChunk, stampWith, utf8, walkRiff, verifyWith, type StampOptions } from '@tanba/core'
import { createTestCredentials } from '@tanba/core/testing'
import { createAudioAdapter } from '../adapter.js'
import { WAV_FORMAT } from '../formats.js'
import { joinBytes } from '../util.js'
import { encodeWav } from './encode.js'
import { parseWav, wavCodec } from './wav.js'

const limits = resolveLimits()
const adapter = createAudioAdapter()
const creds = await createTestCredentials()
const opts = (extra: Partial<StampOptions> = {}): StampOptions => ({ signer: creds.signer, system: { name: 'Gen' }, owner: { name: 'Owner' }, c2pa: false, ...extra })

function programme(rate: number, seconds: number, channels: number): Float32Array[] {
  return Array.from({ length: channels }, (_, c) => new Float32Array(Math.round(rate * seconds)).map((_, i) => 0.25 * Math.sin((i * (c + 1)) / 9) * Math.sin(i / 4000)))
}

const dataOf = (b: Uint8Array) => {
  const w = parseWav(b, limits)
  return b.subarray(w.data.dataOffset, w.data.dataOffset + w.data.size)
}

describe('WAV audible notice', () => {
  const cases: [string, number, number, number, boolean][] = [
    ['8-bit mono 8 kHz', 8, 1, 8000, false],
    ['16-bit stereo 44.1 kHz', 16, 2, 44100, false],
    ['24-bit 6-channel 48 kHz', 24, 6, 48000, false],
    ['32-bit integer stereo 96 kHz', 32, 2, 96000, false],
    ['32-bit float mono 16 kHz', 32, 1, 16000, true],
    ['64-bit float stereo 22.05 kHz', 64, 2, 22050, true],
  ]
  for (const [name, bits, channels, rate, float] of cases) {
    it(`${name}: grows by exactly the notice, keeps every original sample, and the rhythm is found`, async () => {
      const input = encodeWav(programme(rate, 1, channels), { sampleRate: rate, bitsPerSample: bits, float, info: { INAM: 'Title' } })
      for (const placement of ['start', 'end', 'both'] as const) {
        const result = await stampWith(adapter, input, WAV_FORMAT, opts({ notice: { placement } }))
        const before = parseWav(input, limits)
        const after = parseWav(result.bytes, limits)
        expect(after.fmt).toEqual(before.fmt)
        const notice = Math.round(1.75 * rate)
        const frames = (after.data.size - before.data.size) / after.fmt.blockAlign
        expect(frames).toBe(placement === 'both' ? 2 * notice : notice)
        const original = dataOf(input)
        const offset = placement === 'end' ? 0 : notice * after.fmt.blockAlign
        expect(dataOf(result.bytes).subarray(offset, offset + original.length)).toEqual(original)
        expect(result.label.notice).toEqual({ method: 'audio-rhythm', langs: ['kk', 'ru'], placement })
        const report = await verifyWith(adapter, result.bytes, WAV_FORMAT, { trust: creds.trust })
        expect(report.status).toBe('valid')
        const where = placement === 'both' ? ['audio:start', 'audio:end'] : [`audio:${placement}`]
        for (const w of where) expect(report.markers.some((m) => m.standard === 'notice' && m.carrier === w)).toBe(true)
      }
    })
  }

  it('appends the carriers to the notice output in place (one copy of the audio), byte for byte what a fresh copy gets', async () => {
    const input = encodeWav(programme(44100, 1, 2), { sampleRate: 44100, bitsPerSample: 16, info: { INAM: 'Title' } })
    const snapshot = input.slice()
    const request = { placement: 'start' as const, render: (rate: number) => new Float32Array(rate / 10).map((_, i) => 0.1 * Math.sin(i / 5)) }
    const noticed = (await wavCodec.addNotice!(input, request, limits)).bytes
    expect(noticed.buffer.byteLength).toBeGreaterThan(noticed.length) // room for the carriers
    const copy = noticed.slice() // not one of the codec's own buffers: takes the copying path
    const payload = { tc260: '{"Label":"1"}', label: '{"tanba":1}', xmp: () => '<x:xmpmeta xmlns:x="adobe:ns:meta/"/>' }
    const written = wavCodec.write(noticed, payload, limits)
    expect(written.parts).toHaveLength(1)
    const inPlace = written.parts[0]!
    expect(inPlace.buffer).toBe(noticed.buffer)
    // The copying path gives pieces (a new header, views of the chunks, the new chunks): the same file once joined.
    const copied = wavCodec.write(copy, payload, limits).parts
    expect(copied.length).toBeGreaterThan(1)
    expect(inPlace).toEqual(joinBytes(copied))
    expect(walkRiff(inPlace).chunks.map((c) => c.id)).toEqual(['fmt ', 'LIST', 'data', 'AIGC', '_PMX', 'TNBA'])
    // A second write to the same buffer cannot reuse it, and the caller's input never changes.
    const again = wavCodec.write(noticed, payload, limits).parts
    expect(again.length).toBeGreaterThan(1)
    expect(joinBytes(again)).toEqual(inPlace)
    expect(input).toEqual(snapshot)
  })

  it('moves cue points and the fact sample count with the notice', async () => {
    const base = encodeWav(programme(8000, 1, 1), { sampleRate: 8000, bitsPerSample: 16 })
    const cue = new Uint8Array(4 + 24)
    const v = new DataView(cue.buffer)
    v.setUint32(0, 1, true)
    v.setUint32(4, 7, true)
    v.setUint32(8, 1000, true)
    cue.set(utf8('data'), 12)
    v.setUint32(24, 1000, true)
    const fact = new Uint8Array(4)
    new DataView(fact.buffer).setUint32(0, 8000, true)
    const body = joinBytes([base.subarray(12), riffChunk('fact', fact), riffChunk('cue ', cue)])
    const input = joinBytes([utf8('RIFF'), new Uint8Array(new Uint32Array([body.length + 4]).buffer), utf8('WAVE'), body])
    const result = await stampWith(adapter, input, WAV_FORMAT, opts())
    const form = walkRiff(result.bytes)
    const c = form.chunks.find((x) => x.id === 'cue ')!
    const f = form.chunks.find((x) => x.id === 'fact')!
    const dv = new DataView(result.bytes.buffer, result.bytes.byteOffset)
    expect(dv.getUint32(c.dataOffset + 4 + 4, true)).toBe(1000 + 14000)
    expect(dv.getUint32(c.dataOffset + 4 + 20, true)).toBe(1000 + 14000)
    expect(dv.getUint32(f.dataOffset, true)).toBe(8000 + 14000)
  })

  it('adds a spoken notice from a WAV clip after the rhythm', async () => {
    const clip = encodeWav([new Float32Array(11025).map((_, i) => 0.5 * Math.sin(i / 3) * Math.sin(i / 2000))], { sampleRate: 11025, bitsPerSample: 16 })
    const input = encodeWav(programme(22050, 1, 2), { sampleRate: 22050, bitsPerSample: 16 })
    const result = await stampWith(adapter, input, WAV_FORMAT, opts({ adapterOptions: { audio: { speech: { wav: clip, langs: ['kk'], text: 'Бұл мазмұнды жасанды интеллект жасаған' } } } }))
    const grown = (parseWav(result.bytes, limits).data.size - parseWav(input, limits).data.size) / 4
    // rhythm 1750 ms + 250 ms gap + 1 s of speech (resampled to 22.05 kHz) + 300 ms tail
    expect(grown).toBe(Math.round(1.75 * 22050) + Math.round(0.25 * 22050) + 22050 + Math.round(0.3 * 22050))
    expect(result.label.notice).toMatchObject({ method: 'audio-rhythm', langs: ['kk'], text: 'Бұл мазмұнды жасанды интеллект жасаған' })
  })

  it('refuses a notice in a non-PCM WAV with a clear error, but stamps its metadata', async () => {
    const input = encodeWav(programme(8000, 0.5, 1), { sampleRate: 8000, bitsPerSample: 16 })
    const adpcm = input.slice()
    new DataView(adpcm.buffer).setUint16(20, 2, true)
    await expect(stampWith(adapter, adpcm, WAV_FORMAT, opts())).rejects.toMatchObject({ code: 'TANBA_UNSUPPORTED_FORMAT' })
    const ok = await stampWith(adapter, adpcm, WAV_FORMAT, opts({ notice: { visible: false } }))
    expect((await verifyWith(adapter, ok.bytes, WAV_FORMAT)).status).toBe('valid')
  })
})

describe('WAV carriers', () => {
  it('keeps other chunks in order, replaces its own on restamp and merges XMP', async () => {
    const input = encodeWav(programme(8000, 0.5, 1), { sampleRate: 8000, bitsPerSample: 16, info: { INAM: 'Title', IART: 'Artist' } })
    const once = await stampWith(adapter, input, WAV_FORMAT, opts({ notice: { visible: false } }))
    const twice = await stampWith(adapter, once.bytes, WAV_FORMAT, opts({ notice: { visible: false } }))
    const ids = walkRiff(twice.bytes).chunks.map((c) => c.id)
    // The merged XMP chunk stays where it was; AIGC and TNBA are replaced at the end.
    expect(ids).toEqual(['fmt ', 'LIST', 'data', '_PMX', 'AIGC', 'TNBA'])
    const read = wavCodec.read(twice.bytes, limits)
    expect(read.fields.tags).toMatchObject({ title: 'Title', artist: 'Artist' })
    expect(read.tanba).toHaveLength(1)
    expect(JSON.parse(read.tc260[0]!.text)).toMatchObject({ Label: '1', ProduceID: twice.label.id })
    expect(dataOf(twice.bytes)).toEqual(dataOf(input))
  })
})
