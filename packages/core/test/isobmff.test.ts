import { describe, expect, it } from 'vitest'
import { isoBox, MalformedInputError, readIsoBoxes, readIsoBoxHeader, readMdtaKeys, TooLargeError, utf8 } from '../src/index.js'

const cat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) (out.set(p, o), (o += p.length))
  return out
}

describe('ISO BMFF box headers', () => {
  it('reads a 32-bit, a 64-bit, a to-the-end and a uuid header', () => {
    const large = new Uint8Array(20)
    const v = new DataView(large.buffer)
    v.setUint32(0, 1)
    large.set(utf8('free'), 4)
    v.setBigUint64(8, 20n)
    const uuid = cat(isoBox('uuid', Uint8Array.from({ length: 16 }, (_, i) => i), utf8('xy')))
    const toEnd = cat(new Uint8Array([0, 0, 0, 0]), utf8('mdat'), utf8('data'))
    const file = cat(isoBox('ftyp', utf8('isom')), large, uuid, toEnd)
    const boxes = readIsoBoxes(file)
    expect(boxes.map((b) => [b.type, b.offset, b.headerSize, b.size])).toEqual([
      ['ftyp', 0, 8, 12],
      ['free', 12, 16, 20],
      ['uuid', 32, 24, 26],
      ['mdat', 58, 8, 12],
    ])
    expect(boxes[2]!.uuid).toBe('000102030405060708090a0b0c0d0e0f')
    // A short read from a streamed file gives the same header as the whole buffer.
    expect(readIsoBoxHeader(file.subarray(32, 64), 32, file.length)).toEqual(boxes[2])
  })

  it('refuses sizes that overrun, undercut the header, or exceed 2^53, naming where', () => {
    const overrun = cat(isoBox('moov', new Uint8Array(8)))
    new DataView(overrun.buffer).setUint32(0, 100)
    expect(() => readIsoBoxHeader(overrun, 0, overrun.length, 'in the file')).toThrow(/declares 100 bytes but only 16 remain in the file/)
    const small = isoBox('moov')
    new DataView(small.buffer).setUint32(0, 4)
    expect(() => readIsoBoxes(small)).toThrow(MalformedInputError)
    const huge = new Uint8Array(16)
    const v = new DataView(huge.buffer)
    v.setUint32(0, 1)
    huge.set(utf8('mdat'), 4)
    v.setBigUint64(8, 1n << 62n)
    expect(() => readIsoBoxes(huge)).toThrow(MalformedInputError)
    expect(() => readIsoBoxHeader(huge.subarray(0, 12), 0, 1000)).toThrow(/64-bit size but its header is cut off/)
    expect(() => readIsoBoxes(cat(isoBox('free'), new Uint8Array(3)))).toThrow(/8-byte box header at offset 8/)
  })

  it('stops at maxChunks', () => {
    const file = cat(isoBox('free'), isoBox('free'), isoBox('free'))
    expect(() => readIsoBoxes(file, 0, file.length, { maxChunks: 2 })).toThrow(TooLargeError)
  })
})

describe('QuickTime keys (mdta)', () => {
  const keys = (names: string[], count = names.length) => {
    const head = new Uint8Array(8)
    new DataView(head.buffer).setUint32(4, count)
    return cat(head, ...names.map((n) => isoBox('mdta', utf8(n))))
  }

  it('lists the key names in order, UTF-8 decoded', () => {
    expect(readMdtaKeys(keys(['com.apple.quicktime.title', 'org.tanba.AIGC', 'ключ']))).toEqual(['com.apple.quicktime.title', 'org.tanba.AIGC', 'ключ'])
    expect(readMdtaKeys(new Uint8Array(4))).toEqual([])
  })

  it('stops at an entry that does not fit and never reads past the count', () => {
    const damaged = keys(['a.first', 'b.second'])
    new DataView(damaged.buffer).setUint32(8 + 15, 0xffff)
    expect(readMdtaKeys(damaged)).toEqual(['a.first'])
    expect(readMdtaKeys(keys(['a.first', 'b.second'], 1))).toEqual(['a.first'])
    expect(readMdtaKeys(keys(['a.first'], 0xffffffff))).toEqual(['a.first'])
  })
})
