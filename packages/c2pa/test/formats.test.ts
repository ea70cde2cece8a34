import { describe, expect, it } from 'vitest'
import { createTestCredentials } from '@tanba/core/testing'
import { c2paMediaTypes, c2paSupport, createC2paClient, normaliseMediaType } from '../src/index.js'

describe('c2paSupport', () => {
  it('says what c2pa-node 0.5.5 signs and reads (STANDARDS.md, checked on the corpus in sign.test.ts)', () => {
    const signs = ['image/jpeg', 'image/png', 'image/webp', 'image/avif', 'image/heic', 'image/heif', 'image/tiff', 'image/gif', 'image/svg+xml']
    const audio = ['audio/mpeg', 'audio/wav', 'audio/flac', 'audio/mp4', 'video/mp4']
    for (const type of [...signs, ...audio]) expect(c2paSupport(type), type).toEqual({ read: true, sign: true })
    expect(c2paSupport('application/pdf')).toEqual({ read: true, sign: false })
    for (const type of ['audio/ogg', 'audio/opus', 'application/ogg', 'text/plain', 'text/markdown', 'text/html', 'application/octet-stream', '']) {
      expect(c2paSupport(type), type).toEqual({ read: false, sign: false })
    }
  })

  it('accepts common aliases and parameters', () => {
    expect(c2paSupport('IMAGE/JPG')).toEqual({ read: true, sign: true })
    expect(c2paSupport('audio/x-wav')).toEqual({ read: true, sign: true })
    expect(c2paSupport('audio/x-m4a')).toEqual({ read: true, sign: true })
    expect(c2paSupport('audio/mp3')).toEqual({ read: true, sign: true })
    expect(normaliseMediaType('image/svg+xml; charset=utf-8')).toBe('image/svg+xml')
    expect(normaliseMediaType('audio/x-flac')).toBe('audio/flac')
  })

  it('lists every supported media type once', () => {
    const list = c2paMediaTypes()
    expect(new Set(list.map((f) => f.mediaType)).size).toBe(list.length)
    expect(list.filter((f) => !f.sign).map((f) => f.mediaType)).toEqual(['application/pdf'])
  })
})

describe('unsupported formats', () => {
  it('rejects reading OGG and text with UnsupportedFormatError, without starting the addon', async () => {
    const client = createC2paClient()
    await expect(client.readC2pa(new TextEncoder().encode('OggS\0\x02'), 'audio/ogg')).rejects.toMatchObject({
      name: 'UnsupportedFormatError',
      code: 'TANBA_UNSUPPORTED_FORMAT',
      message: expect.stringContaining('OGG'),
    })
    await expect(client.readC2pa(new TextEncoder().encode('hello'), 'text/plain')).rejects.toMatchObject({ code: 'TANBA_UNSUPPORTED_FORMAT' })
    expect(client.workerPid).toBeUndefined()
    await client.close()
  })

  it('rejects signing PDF (read-only in 0.5.5), OGG and text', async () => {
    const { signer } = await createTestCredentials()
    const client = createC2paClient()
    await expect(client.signC2pa(new TextEncoder().encode('%PDF-1.7\n'), 'application/pdf', { signer })).rejects.toMatchObject({
      name: 'UnsupportedFormatError',
      message: expect.stringMatching(/cannot sign .*PDF.*can only read/),
    })
    await expect(client.signC2pa(new TextEncoder().encode('OggS'), 'audio/ogg', { signer })).rejects.toMatchObject({ code: 'TANBA_UNSUPPORTED_FORMAT' })
    await expect(client.signC2pa(new TextEncoder().encode('hi'), 'text/markdown', { signer })).rejects.toMatchObject({ code: 'TANBA_UNSUPPORTED_FORMAT' })
    expect(client.workerPid).toBeUndefined()
    await client.close()
  })

  it('rejects empty input and a missing media type as typed errors', async () => {
    const client = createC2paClient()
    await expect(client.readC2pa(new Uint8Array(0), 'image/jpeg')).rejects.toMatchObject({ code: 'TANBA_MALFORMED_INPUT' })
    await expect(client.readC2pa(new Uint8Array(4), '')).rejects.toMatchObject({ code: 'TANBA_INVALID_OPTION' })
    await client.close()
  })
})
