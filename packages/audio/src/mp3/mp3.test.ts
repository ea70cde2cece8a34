import { describe, expect, it } from 'vitest'
import { MPEGDecoder } from 'mpg123-decoder'
import { resolveLimits, stampWith, verifyWith, type StampOptions } from '@tanba/core'
import { createTestCredentials } from '@tanba/core/testing'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createAudioAdapter } from '../adapter.js'
import { MP3_FORMAT } from '../formats.js'
import { lameTagCrcOk, mp3Layout, readXing, scanFrames } from './frames.js'
import { readId3Tag } from './id3.js'

const limits = resolveLimits()
const adapter = createAudioAdapter()
const creds = await createTestCredentials()
const root = new URL('../../../..', import.meta.url).pathname
const load = (p: string) => new Uint8Array(readFileSync(join(root, p)))
const corpusMp3 = () => load('../shared/corpus/media/sample1.mp3')
const fixtureMp3 = () => load('fixtures/audio/programme.mp3')
const opts = (extra: Partial<StampOptions> = {}): StampOptions => ({ signer: creds.signer, system: { name: 'Gen' }, owner: { name: 'Owner' }, c2pa: false, ...extra })

async function decode(bytes: Uint8Array, gapless: boolean) {
  const decoder = new MPEGDecoder({ enableGapless: gapless })
  await decoder.ready
  try {
    const r = decoder.decode(bytes)
    return { samples: r.samplesDecoded, errors: r.errors.length, left: r.channelData[0]! }
  } finally {
    decoder.free()
  }
}

describe('MP3 audible notice', () => {
  it('joins lamejs frames into a stream with a LAME Info tag: whole frames, exact growth, tag updated', async () => {
    const input = corpusMp3()
    const result = await stampWith(adapter, input, MP3_FORMAT, opts())
    const before = mp3Layout(input, limits)
    const after = mp3Layout(result.bytes, limits)
    const framesBefore = scanFrames(input, before.audioStart, before.audioEnd, before.header, limits).offsets.length
    const framesAfter = scanFrames(result.bytes, after.audioStart, after.audioEnd, after.header, limits).offsets.length
    const added = framesAfter - framesBefore
    expect(added).toBeGreaterThan(0)
    // Every header field a player reads from the Info frame follows the change.
    const x = readXing(result.bytes, after.info!)
    expect(x.frames).toBe(framesAfter)
    expect(x.bytes).toBe(readXing(input, before.info!).bytes! + (after.audioEnd - before.audioEnd) - (after.tagsEnd - before.tagsEnd))
    if (x.lameOffset !== undefined) expect(lameTagCrcOk(result.bytes, after.info!, x)).toBe(lameTagCrcOk(input, before.info!, readXing(input, before.info!)))
    // The original frames are byte for byte the same, after the notice frames.
    const audio = input.subarray(before.audioStart, before.audioEnd)
    const tail = result.bytes.subarray(after.audioEnd - audio.length, after.audioEnd)
    expect(tail).toEqual(audio)
    // A real decoder: no errors, and exactly `added` frames' worth of samples more.
    const a = await decode(input, true)
    const b = await decode(result.bytes, true)
    expect(b.errors).toBe(0)
    expect(b.samples - a.samples).toBe(added * 1152)
    const report = await verifyWith(adapter, result.bytes, MP3_FORMAT, { trust: creds.trust })
    expect(report.markers.find((m) => m.standard === 'notice')).toMatchObject({ carrier: 'audio:start', valid: true })
  })

  it('adds the notice at the start, the end or both of a stream without an Info frame, keeping cover art and chapters', async () => {
    const input = fixtureMp3()
    const base = await decode(input, false)
    const tagBefore = readId3Tag(input, 0, limits)
    for (const placement of ['start', 'end', 'both'] as const) {
      const result = await stampWith(adapter, input, MP3_FORMAT, opts({ notice: { placement } }))
      const d = await decode(result.bytes, false)
      expect(d.errors).toBe(0)
      const frames = Math.ceil((Math.round(1.75 * 44100) + 1105) / 1152)
      expect(d.samples - base.samples).toBe(frames * 1152 * (placement === 'both' ? 2 : 1))
      const tag = readId3Tag(result.bytes, 0, limits)
      for (const id of ['APIC', 'CHAP', 'CTOC', 'TIT2', 'TPE1']) {
        expect(tag.frames.filter((f) => f.id === id).map((f) => f.raw)).toEqual(tagBefore.frames.filter((f) => f.id === id).map((f) => f.raw))
      }
      const report = await verifyWith(adapter, result.bytes, MP3_FORMAT, { trust: creds.trust })
      expect(report.status).toBe('valid')
      const found = report.markers.filter((m) => m.standard === 'notice').map((m) => m.carrier)
      expect(found).toEqual(placement === 'both' ? ['audio:start', 'audio:end'] : [`audio:${placement}`])
    }
  })
})

describe('ID3', () => {
  it('writes TXXX:AIGC, TXXX:TANBA and PRIV:XMP into the existing ID3v2.4 tag, once', async () => {
    const once = await stampWith(adapter, corpusMp3(), MP3_FORMAT, opts({ notice: { visible: false } }))
    const twice = await stampWith(adapter, once.bytes, MP3_FORMAT, opts({ notice: { visible: false } }))
    const tag = readId3Tag(twice.bytes, 0, limits)
    expect(tag.version).toBe(4)
    expect(tag.txxx.map((t) => t.description).sort()).toEqual(['AIGC', 'TANBA'])
    expect(tag.frames.filter((f) => f.id === 'PRIV')).toHaveLength(1)
    expect(tag.fields.encoder).toBe('Lavf57.83.100')
    expect(JSON.parse(tag.txxx.find((t) => t.description === 'AIGC')!.value)).toMatchObject({ Label: '1', ProduceID: twice.label.id })
  })

  it('returns the file as pieces around the untouched audio (no copy of it), which verify once joined', async () => {
    const input = corpusMp3()
    const result = await stampWith(adapter, input, MP3_FORMAT, opts({ notice: { visible: false } }))
    const layout = mp3Layout(input, limits)
    const audio = result.parts!.find((p) => p.length >= layout.audioEnd - layout.audioStart)!
    expect(audio.buffer).toBe(input.buffer)
    expect(result.parts!.reduce((n, p) => n + p.length, 0)).toBe(result.bytes.length)
    const report = await verifyWith(adapter, result.bytes, MP3_FORMAT, { trust: creds.trust })
    expect(report.status).toBe('valid')
  })

  it('reads the adversarial underflowing frame without crashing and drops it on rewrite', async () => {
    const bytes = load('../shared/corpus/adversarial/id3v23_compression_underflow.mp3')
    const tag = readId3Tag(bytes, 0, limits)
    expect(tag.problems[0]).toMatch(/TIT2 declares 4 bytes of flag data/)
    const report = await verifyWith(adapter, bytes, MP3_FORMAT, { c2pa: false })
    expect(report.status).toBe('unlabelled')
    expect(report.messages.some((m) => m.rule === 'id3.frame-unreadable')).toBe(true)
    const stamped = await stampWith(adapter, bytes, MP3_FORMAT, opts({ notice: { visible: false } }))
    expect(readId3Tag(stamped.bytes, 0, limits).problems).toEqual([])
    expect((await verifyWith(adapter, stamped.bytes, MP3_FORMAT, { c2pa: false })).status).toBe('valid')
  })
})
