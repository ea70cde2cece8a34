import { describe, expect, it } from 'vitest'
import { OggOpusDecoder } from 'ogg-opus-decoder'
import { OggVorbisDecoder } from '@wasm-audio-decoders/ogg-vorbis'
import { resolveLimits, stampWith, verifyWith } from '@tanba/core'
import { createTestCredentials } from '@tanba/core/testing'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createAudioAdapter } from '../adapter.js'
import { OGG_FORMAT } from '../formats.js'
import { commentEntry } from '../vorbis-comment.js'
import { oggCodec, parseOgg, readPages, rewriteOggComments } from './ogg.js'

const limits = resolveLimits()
const adapter = createAudioAdapter()
const creds = await createTestCredentials()
const root = new URL('../../../..', import.meta.url).pathname
const load = (p: string) => new Uint8Array(readFileSync(join(root, p)))

async function decode(bytes: Uint8Array, codec: 'vorbis' | 'opus') {
  const d = codec === 'opus' ? new OggOpusDecoder() : new OggVorbisDecoder()
  await d.ready
  try {
    const r = await d.decode(bytes)
    return { samples: r.samplesDecoded, errors: r.errors.length, left: r.channelData[0]! }
  } finally {
    d.free()
  }
}

describe('Ogg comment rewriting', () => {
  for (const [file, codec] of [['programme.ogg', 'vorbis'], ['programme.opus', 'opus']] as const) {
    it(`${file}: stamps with valid pages, same audio, old comments kept`, async () => {
      const input = load(`fixtures/audio/${file}`)
      const result = await stampWith(adapter, input, OGG_FORMAT, { signer: creds.signer, system: { name: 'Gen' }, owner: { name: 'Owner' }, c2pa: false, notice: { visible: false } })
      // readPages checks every page CRC (the Ogg polynomial, not the IEEE one) and structure.
      const pages = readPages(result.bytes, limits)
      expect(pages.map((p) => p.sequence)).toEqual(pages.map((_, i) => i))
      expect(parseOgg(result.bytes, limits).codec).toBe(codec)
      const a = await decode(input, codec)
      const b = await decode(result.bytes, codec)
      expect(b.errors).toBe(0)
      expect(b.samples).toBe(a.samples)
      expect(b.left).toEqual(a.left)
      const read = oggCodec.read(result.bytes, limits)
      const original = oggCodec.read(input, limits)
      expect(read.fields.vendor).toBe(original.fields.vendor)
      expect(read.fields.tags).toEqual(original.fields.tags)
      if (codec === 'opus') expect(read.fields.tags).toMatchObject({ title: 'Tanba test programme', artist: 'Tanba fixtures' })
      expect(read.tanba).toHaveLength(1)
      const report = await verifyWith(adapter, result.bytes, OGG_FORMAT, { trust: creds.trust })
      expect(report.status).toBe('valid')
    })

    it(`${file}: a comment header spanning many pages renumbers every later page`, async () => {
      const input = load(`fixtures/audio/${file}`)
      const big = rewriteOggComments(input, (e) => [...e, commentEntry('LYRICS', 'la '.repeat(40000))], limits)
      const pages = readPages(big, limits)
      expect(pages.length).toBeGreaterThan(readPages(input, limits).length)
      expect(pages.map((p) => p.sequence)).toEqual(pages.map((_, i) => i))
      // ogg-opus-decoder cannot take an OpusTags packet spanning pages (ffmpeg and opusinfo can: see docs/audio.md).
      if (codec === 'vorbis') {
        const b = await decode(big, codec)
        expect(b.errors).toBe(0)
        expect(b.samples).toBe((await decode(input, codec)).samples)
      }
      // The essence ignores the comment header and page layout.
      const e1 = oggCodec.essence(input, limits).parts
      const e2 = oggCodec.essence(big, limits).parts
      expect(Buffer.concat(e2)).toEqual(Buffer.concat(e1))
    })
  }

  it('skips C2PA for Ogg with a note', async () => {
    const result = await stampWith(adapter, load('fixtures/audio/programme.opus'), OGG_FORMAT, { signer: creds.signer, system: { name: 'Gen' }, owner: { name: 'Owner' }, notice: { visible: false } })
    expect(result.messages.map((m) => m.rule)).toContain('c2pa.unsupported-format')
  })

  it('refuses the audible notice with an error naming the formats that take one', async () => {
    await expect(stampWith(adapter, load('fixtures/audio/programme.ogg'), OGG_FORMAT, { signer: creds.signer, system: { name: 'Gen' }, owner: { name: 'Owner' }, c2pa: false })).rejects.toThrow(/WAV, MP3, FLAC/)
  })

  it('skips a page with a wrong CRC, as ffmpeg does; a header page so lost makes the file unreadable', () => {
    const bad = load('fixtures/audio/programme.ogg')
    bad[100]! ^= 1
    expect(() => oggCodec.read(bad, limits)).toThrow(/header|Audio data shares/)
    const audio = load('fixtures/audio/programme.ogg')
    audio[audio.length - 10]! ^= 1
    expect(oggCodec.read(audio, limits).messages.map((m) => m.rule)).toContain('ogg.skipped-bytes')
  })
})
