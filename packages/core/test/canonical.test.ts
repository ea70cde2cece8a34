import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { canonicalJson } from '../src/index.js'

describe('canonicalJson (RFC 8785)', () => {
  it('sorts keys by UTF-16 code units and removes whitespace', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], '\u20ac': 1, '\r': 2, '1': 3 })).toBe('{"\\r":2,"1":3,"a":[true,null,"x"],"b":1,"€":1}')
  })

  it('serialises numbers as ECMAScript does (RFC 8785 appendix B samples)', () => {
    expect(canonicalJson([333333333.33333329, 1e30, 4.5, 2e-3, 0.000001, 1e-7, -0])).toBe('[333333333.3333333,1e+30,4.5,0.002,0.000001,1e-7,0]')
  })

  it('escapes only what JSON requires', () => {
    expect(canonicalJson({ s: '\u0000\u001f"\\/\u007f\u2028 қ 人工智能' })).toBe('{"s":"\\u0000\\u001f\\"\\\\/\u007f\u2028 қ 人工智能"}')
  })

  it('is independent of key insertion order (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (obj) => {
        const reversed = Object.fromEntries(Object.entries(obj).reverse())
        expect(canonicalJson(reversed)).toBe(canonicalJson(obj))
      }),
    )
  })

  it('is a fixed point: canonicalising parsed canonical JSON changes nothing (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const once = canonicalJson(value)
        expect(canonicalJson(JSON.parse(once))).toBe(once)
      }),
    )
  })
})
