import { createHash } from 'node:crypto'
import { deflateSync } from 'node:zlib'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createSha256, inflateZlib } from '../src/index.js'

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
