// C2PA off on a file that already carries a manifest: the same c2pa.stale rule as image and PDF.
import { afterAll, describe, expect, it } from 'vitest'
import { stampWith } from '@tanba/core'
import { createTestCredentials } from '@tanba/core/testing'
import { close, readC2pa, signC2pa } from '@tanba/c2pa'
import { createAudioAdapter } from '../src/adapter.js'
import { corpus, format } from './helpers.js'

const creds = await createTestCredentials()
const adapter = createAudioAdapter()
afterAll(() => close())

describe('c2pa.stale', () => {
  for (const [file, id, mediaType] of [
    ['media/sample1.mp3', 'mp3', 'audio/mpeg'],
    ['media/sample1.wav', 'wav', 'audio/wav'],
  ] as const) {
    it(`${file}: a stamp with C2PA off keeps the manifest and says it is stale`, async () => {
      const input = await signC2pa(corpus(file), mediaType, { signer: creds.signer })
      const result = await stampWith(adapter, input, format(id), { signer: creds.signer, system: { name: 'Gen' }, owner: { name: 'Owner' }, c2pa: false, notice: { visible: false } })
      expect(result.messages.map((m) => m.rule)).toContain('c2pa.stale')
      // The manifest is still there, and no longer matches.
      const summary = await readC2pa(result.bytes, mediaType)
      expect(summary).not.toBeNull()
      expect(summary!.validationStatus.some((s) => /mismatch/.test(s.code))).toBe(true)
    })
  }
})
