import { describe, expect, it } from 'vitest'
import { parseBuffer } from 'music-metadata'
import { resolveLimits, stampWith, verifyWith } from '@tanba/core'
import { createTestCredentials } from '@tanba/core/testing'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createAudioAdapter } from '../adapter.js'
import { M4A_FORMAT } from '../formats.js'
import { m4aCodec } from './mp4.js'

const limits = resolveLimits()
const adapter = createAudioAdapter()
const creds = await createTestCredentials()
const root = new URL('../../../..', import.meta.url).pathname
const load = (p: string) => new Uint8Array(readFileSync(join(root, p)))
const opts = { signer: creds.signer, system: { name: 'Gen' }, owner: { name: 'Owner' }, c2pa: false, notice: { visible: false } }

describe('M4A', () => {
  for (const file of ['fixtures/audio/programme.m4a', '../shared/corpus/media/sample1.m4a']) {
    it(`${file}: moov grows, chunk offsets follow, samples, cover art and chapters kept`, async () => {
      const input = load(file)
      const result = await stampWith(adapter, input, M4A_FORMAT, opts)
      expect(result.bytes.length).toBeGreaterThan(input.length)
      // Same samples in the same order (read through the moved chunk offsets).
      expect(Buffer.concat(m4aCodec.essence(result.bytes, limits).parts).equals(Buffer.concat(m4aCodec.essence(input, limits).parts))).toBe(true)
      const before = await parseBuffer(input, { mimeType: 'audio/mp4' }, { includeChapters: true })
      const after = await parseBuffer(result.bytes, { mimeType: 'audio/mp4' }, { includeChapters: true })
      expect(after.common.title).toBe(before.common.title)
      expect(after.common.picture?.length ?? 0).toBe(before.common.picture?.length ?? 0)
      expect(after.format.chapters ?? []).toEqual(before.format.chapters ?? [])
      expect(after.native.iTunes?.some((t) => t.id === '----:com.apple.iTunes:AIGC')).toBe(true)
      const report = await verifyWith(adapter, result.bytes, M4A_FORMAT, { trust: creds.trust })
      expect(report.status).toBe('valid')
      const again = await stampWith(adapter, result.bytes, M4A_FORMAT, opts)
      const read = m4aCodec.read(again.bytes, limits)
      expect(read.tanba).toHaveLength(1)
      expect(read.tc260).toHaveLength(1)
      expect(read.xmp).toHaveLength(1)
    })
  }

  it('gives a typed error for 1000 nested moov boxes', async () => {
    const bytes = load('../shared/corpus/adversarial/nested_moov_1000.mp4')
    expect(() => m4aCodec.read(bytes, limits)).toThrow(expect.objectContaining({ code: 'TANBA_TOO_LARGE' }))
    const report = await verifyWith(adapter, bytes, M4A_FORMAT)
    expect(report.status).toBe('error')
    expect(report.error?.code).toBe('TANBA_TOO_LARGE')
  })
})
