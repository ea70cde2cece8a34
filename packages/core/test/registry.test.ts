import { describe, expect, it } from 'vitest'
import { AdapterRegistry, startsWith, UnrecognisedFormatError, UnsupportedFormatError, utf8, type AdapterEntry } from '../src/index.js'

const png: AdapterEntry = {
  name: 'img',
  kind: 'image',
  formats: [
    { id: 'png', kind: 'image', mediaTypes: ['image/png'], extensions: ['png'], sniff: (h) => startsWith(h, [0x89, 0x50, 0x4e, 0x47]), supported: true },
    { id: 'bmp', kind: 'image', mediaTypes: ['image/bmp'], extensions: ['bmp'], sniff: (h) => startsWith(h, 'BM'), supported: false, note: 'no carrier for labels' },
  ],
  load: async () => ({ name: 'img' }) as never,
}
const text: AdapterEntry = {
  name: 'text',
  kind: 'text',
  formats: [{ id: 'plain', kind: 'text', mediaTypes: ['text/plain'], extensions: ['txt'], supported: true }],
  load: async () => ({ name: 'text' }) as never,
}
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

describe('AdapterRegistry', () => {
  const registry = new AdapterRegistry().register(png).register(text)

  it('detects by media type, then extension, then magic bytes', () => {
    expect(registry.detect(utf8('hello'), { mediaType: 'text/plain; charset=utf-8', filename: 'a.png' })).toMatchObject({ by: 'media-type', format: { id: 'plain' } })
    expect(registry.detect(utf8('hello'), { filename: 'notes.TXT' })).toMatchObject({ by: 'extension', format: { id: 'plain' } })
    expect(registry.detect(PNG)).toMatchObject({ by: 'magic', format: { id: 'png' } })
  })

  it('believes the bytes over a misleading name', () => {
    expect(registry.detect(PNG, { filename: 'photo.txt' })).toMatchObject({ by: 'magic', format: { id: 'png' } })
  })

  it('lets sniffers see past a leading ID3v2 tag', () => {
    const tag = new Uint8Array(10 + 20_000)
    tag.set([0x49, 0x44, 0x33, 4, 0, 0, 0, 0x01, 0x1c, 0x20]) // syncsafe 20000
    const flacAfterTag = new Uint8Array([...tag, ...utf8('fLaC'), 0, 0, 0, 34])
    const r = new AdapterRegistry().register({
      name: 'audio',
      kind: 'audio',
      formats: [{ id: 'flac', kind: 'audio', mediaTypes: ['audio/flac'], extensions: ['flac'], supported: true, sniff: (h) => h.length > 20_010 && startsWith(h, 'fLaC', 20_010) }],
      load: async () => ({}) as never,
    })
    expect(r.detect(flacAfterTag)).toMatchObject({ by: 'magic', format: { id: 'flac' } })
  })

  it('separates "unrecognised" from "unsupported"', async () => {
    expect(() => registry.detect(new Uint8Array([1, 2, 3]), { filename: 'x.xyz' })).toThrow(UnrecognisedFormatError)
    expect(() => registry.detect(new Uint8Array([1, 2, 3]))).toThrow(/expected one of png, bmp, plain/)
    const bmp = registry.detect(utf8('BM....'))
    await expect(registry.load(bmp)).rejects.toThrow(UnsupportedFormatError)
    await expect(registry.load(bmp)).rejects.toThrow('BMP is recognised but not supported: no carrier for labels')
  })

  it('loads an adapter once', async () => {
    let loads = 0
    const counted: AdapterEntry = { ...text, load: async () => (loads++, { name: 'x' }) as never }
    const r = new AdapterRegistry().register(counted)
    const d = r.detect(utf8('x'), { filename: 'a.txt' })
    await Promise.all([r.load(d), r.load(d), r.load(d)])
    expect(loads).toBe(1)
  })
})
