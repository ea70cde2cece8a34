import { createHash } from 'node:crypto'
import { deflateSync } from 'node:zlib'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { allocBytes, createSha256, indexOfByte, indexOfBytes, inflateZlib, joinBytes, lastIndexOfBytes } from '../src/index.js'

// The incremental SHA-256 and zlib helpers give the same answers with Node's built-ins and with
// the portable code that browsers and edge runtimes use.
describe('createSha256', () => {
  it('matches node:crypto for any split of the input, native and portable', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.string({ maxLength: 50 })), { maxLength: 8 }), (parts) => {
        const ref = createHash('sha256')
        for (const p of parts) ref.update(p)
        const expected = ref.digest('base64url')
        for (const native of [true, false]) {
          const h = createSha256({ native })
          for (const p of parts) h.update(p)
          expect(h.digestBase64Url()).toBe(expected)
        }
      }),
      { numRuns: 100 },
    )
  })
})

describe('indexOfByte', () => {
  it('finds the same index as a plain search, native (memchr) and portable, from any start', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: -10, max: 700 }), fc.integer({ min: 0, max: 40 }), (data, value, from, offset) => {
        // A view that does not start at its buffer's first byte, as parsers pass subarrays.
        const view = new Uint8Array(offset + data.length)
        view.set(data, offset)
        const bytes = view.subarray(offset)
        const start = Math.max(0, from)
        let expected = -1
        for (let i = start; i < bytes.length; i++) {
          if (bytes[i] === value) {
            expected = i
            break
          }
        }
        expect(indexOfByte(bytes, value, start)).toBe(expected)
        expect(indexOfByte(bytes, value, start, { native: false })).toBe(expected)
      }),
      { numRuns: 300 },
    )
  })
})

describe('indexOfBytes and lastIndexOfBytes', () => {
  it('find the same matches as a plain search over every start, forwards and backwards', () => {
    const bytes = fc.uint8Array({ maxLength: 200 }).map((a) => a.map((b) => b % 4)) // few values: many near-matches
    fc.assert(
      fc.property(bytes, fc.uint8Array({ minLength: 1, maxLength: 5 }).map((a) => a.map((b) => b % 4)), fc.integer({ min: 0, max: 220 }), (hay, needle, at) => {
        const matchAt = (i: number) => i >= 0 && i + needle.length <= hay.length && needle.every((b, j) => hay[i + j] === b)
        let first = -1
        for (let i = at; i <= hay.length; i++) if (matchAt(i)) ((first = i), (i = hay.length + 1))
        let last = -1
        for (let i = Math.min(at, hay.length) - needle.length; i >= 0; i--) if (matchAt(i)) ((last = i), (i = -1))
        expect(indexOfBytes(hay, needle, at)).toBe(first)
        expect(lastIndexOfBytes(hay, needle, Math.min(at, hay.length))).toBe(last)
      }),
      { numRuns: 500 },
    )
    expect(indexOfBytes(Uint8Array.of(1, 2), new Uint8Array(0))).toBe(-1)
    expect(lastIndexOfBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 2, 3))).toBe(-1)
  })
})

describe('allocBytes and joinBytes', () => {
  it('return plain Uint8Arrays over their own buffers, of the asked size, in both paths', () => {
    for (const native of [true, false]) {
      for (const size of [0, 10, 4096, 1 << 20]) {
        const bytes = allocBytes(size, { native })
        expect(Object.getPrototypeOf(bytes)).toBe(Uint8Array.prototype)
        expect(bytes.length).toBe(size)
        expect(bytes.byteOffset).toBe(0)
        expect(bytes.buffer.byteLength).toBe(size)
      }
    }
  })

  it('joinBytes copies every piece in order, large and small', () => {
    const pieces = [new Uint8Array(5000).fill(1), new Uint8Array(0), Uint8Array.of(2, 3), new Uint8Array(70_000).fill(4)]
    const joined = joinBytes(pieces)
    expect(Object.getPrototypeOf(joined)).toBe(Uint8Array.prototype)
    expect(joined.length).toBe(75_002)
    expect(joined[4999]).toBe(1)
    expect([joined[5000], joined[5001]]).toEqual([2, 3])
    expect(joined.subarray(5002).every((b) => b === 4)).toBe(true)
  })
})

describe('inflateZlib', () => {
  const text = new TextEncoder().encode('Жасанды интеллект '.repeat(500))
  const packed = new Uint8Array(deflateSync(text))

  it('inflates zlib data the same way with node:zlib and with fflate', () => {
    expect(inflateZlib(packed, 1 << 20)).toEqual(text)
    expect(inflateZlib(packed, 1 << 20, { native: false })).toEqual(text)
  })

  it('stops a decompression bomb at the limit with TooLargeError, in both paths', () => {
    const bomb = new Uint8Array(deflateSync(new Uint8Array(50 << 20)))
    expect(bomb.length).toBeLessThan(100_000)
    for (const native of [true, false]) expect(() => inflateZlib(bomb, 1 << 20, { native })).toThrow(expect.objectContaining({ code: 'TANBA_TOO_LARGE' }))
  })

  it('reports damaged or cut data as MalformedInputError', () => {
    for (const native of [true, false]) {
      expect(() => inflateZlib(packed.subarray(0, packed.length >> 1), 1 << 20, { native })).toThrow(expect.objectContaining({ code: 'TANBA_MALFORMED_INPUT' }))
      expect(() => inflateZlib(Uint8Array.of(1, 2, 3, 4, 5), 1 << 20, { native })).toThrow(expect.objectContaining({ code: 'TANBA_MALFORMED_INPUT' }))
    }
  })
})
