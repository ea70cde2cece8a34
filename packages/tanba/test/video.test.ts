import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestCredentials, type TestCredentials } from '@tanba/core/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { close, defaultRegistry, detect, inspect, stamp, stampFile, verify, verifyFile, UnsupportedFormatError } from 'tanba/node'

// Video through the SDK: detection next to the audio (M4A) and image (HEIC, AVIF) adapters that share ISO BMFF.
const FIXTURES = new URL('../../../fixtures/video/', import.meta.url).pathname
const CORPUS = new URL('../../../../shared/corpus/media/', import.meta.url).pathname
const fixture = (name: string) => new Uint8Array(readFileSync(join(FIXTURES, name)))
const work = mkdtempSync(join(tmpdir(), 'tanba-video-sdk-'))
process.env.TANBA_CONFIG_DIR = join(work, 'config')
const owner = { name: 'Tanba Tests LLP', id: '123456789012', country: 'KZ' }
const system = { name: 'Test Generator', model: 'tg-1' }

let creds: TestCredentials
beforeAll(async () => {
  creds = await createTestCredentials()
})
afterAll(() => close())

describe('video detection', () => {
  it('tells MP4, MOV, M4V and WebM by their bytes, and leaves M4A, HEIC and AVIF to their adapters', () => {
    expect(detect(fixture('h264-aac.mp4')).format.id).toBe('mp4')
    expect(detect(fixture('h264-aac.mov')).format.id).toBe('mov')
    expect(detect(fixture('h264-aac.m4v')).format.id).toBe('m4v')
    expect(detect(fixture('vp9-opus.webm')).format.id).toBe('webm')
    expect(detect(new Uint8Array(readFileSync(join(CORPUS, 'sample1.m4a')))).format.kind).toBe('audio')
    expect(detect(new Uint8Array(readFileSync(join(CORPUS, 'sample1.heic')))).format.id).toBe('heic')
    expect(detect(new Uint8Array(readFileSync(join(CORPUS, 'sample1.avif')))).format.id).toBe('avif')
    // A name that lies is overruled by the bytes.
    expect(detect(fixture('h264-aac.mp4'), { filename: 'clip.m4a' }).format.id).toBe('mp4')
  })

  it('refuses WebM with UnsupportedFormatError before loading anything', async () => {
    await expect(defaultRegistry().load(detect(fixture('vp9-opus.webm')))).rejects.toBeInstanceOf(UnsupportedFormatError)
  })
})

describe('video through the SDK', () => {
  it('stamps bytes (metadata only), verifies and inspects them', async () => {
    const input = fixture('h264-aac.mp4')
    const result = await stamp(input, { signer: creds.signer, owner, system, c2pa: false, notice: { visible: false } })
    const report = await verify(result.bytes, { trust: creds.trust })
    expect(report.status).toBe('valid')
    expect(report.format).toBe('mp4')
    const info = await inspect(result.bytes, { c2pa: false })
    expect(JSON.stringify(info)).toContain('avc1')
  })

  it('stamps a file to disk and verifies it from disk', async () => {
    const out = join(work, 'stamped.mp4')
    await stampFile(join(FIXTURES, 'h264-opus.mp4'), { output: out, signer: creds.signer, owner, system, c2pa: false, notice: { visible: false } })
    const report = await verifyFile(out, { trust: creds.trust })
    expect(report.status).toBe('valid')
  })
})
