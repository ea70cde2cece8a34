import { stampWith, verifyWith, type StampOptions } from '@tanba/core'
import { createTestCredentials, type TestCredentials } from '@tanba/core/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createVideoAdapter } from '../src/adapter.js'
import { closeC2pa } from '../src/c2pa.js'
import { bmffDigest } from '../src/mp4/binding.js'
import { parseMp4 } from '../src/mp4/parse.js'
import { bytesSource } from '../src/source.js'
import { decodeErrors, fixture, format, HAS_FFMPEG, limits, tamperEssence, throughFfmpeg } from './helpers.js'

// C2PA through @tanba/c2pa's one signing call (c2pa-node in a child process), BMFF hash.
const adapter = createVideoAdapter()
let creds: TestCredentials
const options = (): StampOptions => ({
  signer: creds.signer,
  system: { name: 'Video Generator', version: '2.1' },
  owner: { name: 'Tanba Tests LLP', id: '123456789012', country: 'KZ' },
  profiles: ['kz'],
  c2pa: true,
  notice: { visible: false },
})

beforeAll(async () => {
  creds = await createTestCredentials()
}, 60_000)
afterAll(() => closeC2pa())

describe('C2PA in MP4 and MOV', () => {
  for (const [name, id] of [
    ['h264-aac.mp4', 'mp4'],
    ['h264-aac.mov', 'mov'],
  ] as const) {
    it(`${name}: the manifest validates and is trusted, the label stays bound, ffmpeg still decodes`, async () => {
      const input = fixture(name)
      const result = await stampWith(adapter, input, format(id), options())
      expect(result.messages).toEqual([])
      expect(result.carriers).toContain('c2pa')
      // The manifest box sits outside the bound samples.
      expect(bmffDigest(parseMp4(bytesSource(result.bytes), limits)).digest).toBe(result.label.binding.digest)
      const report = await verifyWith(adapter, result.bytes, format(id), { trust: creds.trust })
      expect(report.messages.filter((m) => m.fatal)).toEqual([])
      expect(report.status).toBe('valid')
      const c2pa = report.markers.find((m) => m.standard === 'c2pa' && m.carrier === 'c2pa')
      expect(c2pa).toMatchObject({ aiMarked: true, valid: true })
      expect(report.markers.some((m) => m.carrier === 'c2pa:tanba.label' && m.valid === true)).toBe(true)
      if (HAS_FFMPEG) expect(decodeErrors(result.bytes, id)).toBe('')
      // A changed frame: the label's binding and the C2PA BMFF hash both fail.
      const tampered = await verifyWith(adapter, tamperEssence(result.bytes), format(id), { trust: creds.trust })
      expect(tampered.status).toBe('invalid')
      expect(tampered.markers.find((m) => m.standard === 'c2pa' && m.carrier === 'c2pa')?.valid).toBe(false)
    })
  }

  it('restamping a C2PA-signed clip makes the earlier manifest its parent ingredient', async () => {
    const first = await stampWith(adapter, fixture('h264-aac.mp4'), format('mp4'), options())
    const second = await stampWith(adapter, first.bytes, format('mp4'), options())
    const report = await verifyWith(adapter, second.bytes, format('mp4'), { trust: creds.trust })
    expect(report.status).toBe('valid')
    const value = report.markers.find((m) => m.standard === 'c2pa' && m.carrier === 'c2pa')?.value as { manifests?: unknown[]; ingredients?: unknown[] }
    expect(value.manifests?.length).toBe(2)
    expect(value.ingredients?.length).toBeGreaterThanOrEqual(1)
  })

  it.skipIf(!HAS_FFMPEG)('a -c copy remux that keeps metadata drops the C2PA box but the label stays valid', async () => {
    const result = await stampWith(adapter, fixture('h264-aac.mp4'), format('mp4'), options())
    const remuxed = throughFfmpeg(result.bytes, 'mp4', ['-c', 'copy', '-map', '0', '-map_metadata', '0', '-movflags', 'use_metadata_tags+faststart'])
    const report = await verifyWith(adapter, remuxed, format('mp4'), { trust: creds.trust })
    expect(report.status).toBe('valid')
  })
})
