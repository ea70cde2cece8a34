// Every audio file of the shared corpus, stamped with C2PA on and verified; music-metadata still reads them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseBuffer } from 'music-metadata'
import { stampWith, verifyWith, type FormatInfo } from '@tanba/core'
import { createTestCredentials, type TestCredentials } from '@tanba/core/testing'
import { close } from '@tanba/c2pa'
import { createAudioAdapter } from '../src/adapter.js'
import { corpus, format } from './helpers.js'

const adapter = createAudioAdapter()
let creds: TestCredentials
beforeAll(async () => {
  creds = await createTestCredentials()
})
afterAll(() => close())

const files: [string, FormatInfo, string, boolean][] = [
  ['media/sample1.wav', format('wav'), 'audio/wav', true],
  ['media/sample1.mp3', format('mp3'), 'audio/mpeg', true],
  ['media/sample1.flac', format('flac'), 'audio/flac', true],
  ['media/sample1.m4a', format('m4a'), 'audio/mp4', false],
]

describe('corpus audio, stamped with C2PA', () => {
  for (const [path, f, mime, notice] of files) {
    it(`${path}: stamps, verifies valid with every carrier, keeps its tags`, async () => {
      const input = corpus(path)
      const before = await parseBuffer(input, { mimeType: mime, size: input.length }, { skipCovers: true })
      const result = await stampWith(adapter, input, f, {
        signer: creds.signer,
        system: { name: 'Corpus Generator', model: 'm1' },
        owner: { name: 'Tanba Tests LLP', id: '123456789012' },
        notice: { visible: notice },
      })
      expect(result.carriers).toContain('c2pa')
      expect(result.messages.filter((m) => m.rule.startsWith('c2pa'))).toEqual([])
      const report = await verifyWith(adapter, result.bytes, f, { trust: creds.trust })
      expect(report.status).toBe('valid')
      expect(report.signature).toMatchObject({ valid: true, trusted: true })
      const standards = new Set(report.markers.filter((m) => m.valid !== false).map((m) => m.standard))
      for (const s of ['tanba', 'tc260', 'iptc', 'c2pa']) expect(standards).toContain(s)
      const c2pa = report.markers.find((m) => m.standard === 'c2pa')!
      expect(c2pa).toMatchObject({ valid: true, aiMarked: true })
      expect((c2pa.value as { trusted: boolean }).trusted).toBe(true)
      expect(report.markers.some((m) => m.carrier === 'c2pa:tanba.label')).toBe(true)
      if (notice) expect(report.markers.some((m) => m.standard === 'notice' && m.carrier === 'audio:start' && m.valid)).toBe(true)
      expect(report.profiles.kz?.pass).toBe(notice)
      // music-metadata still reads the file and sees the tags it had.
      const after = await parseBuffer(result.bytes, { mimeType: mime, size: result.bytes.length }, { skipCovers: true })
      expect(after.common.title).toBe(before.common.title)
      expect(after.common.artist).toBe(before.common.artist)
      expect(after.format.sampleRate).toBe(before.format.sampleRate)
      expect(after.format.numberOfChannels).toBe(before.format.numberOfChannels)
    })
  }

  it('keeps an earlier C2PA manifest as the parent ingredient when restamping', async () => {
    const opts = { signer: creds.signer, system: { name: 'Gen' }, owner: { name: 'Owner' }, notice: { visible: false } }
    const once = await stampWith(adapter, corpus('media/sample1.wav'), format('wav'), opts)
    const twice = await stampWith(adapter, once.bytes, format('wav'), opts)
    const x = await (await adapter.open(twice.bytes, format('wav'), { limits: (await import('@tanba/core')).resolveLimits(), adapterOptions: {} })).read({ c2pa: true })
    expect((x.fields.c2pa as { manifests: number }).manifests).toBe(2)
    // One Tanba label per carrier: restamping replaced, not duplicated, them.
    expect(x.labels.filter((l) => l.carrier === 'riff:TNBA')).toHaveLength(1)
    expect(x.labels.find((l) => l.carrier === 'riff:TNBA')?.label?.id).toBe(twice.label.id)
  })

  it('turns C2PA off when asked', async () => {
    const result = await stampWith(adapter, corpus('media/sample1.mp3'), format('mp3'), { signer: creds.signer, system: { name: 'Gen' }, owner: { name: 'Owner' }, c2pa: false, notice: { visible: false } })
    expect(result.carriers).not.toContain('c2pa')
    const report = await verifyWith(adapter, result.bytes, format('mp3'), { trust: creds.trust })
    expect(report.markers.some((m) => m.standard === 'c2pa')).toBe(false)
    expect(report.status).toBe('valid')
  })
})
