import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { createTestCredentials } from '@tanba/core/testing'
import {
  C2PA_TEXT_MAGIC,
  TANBA_TEXT_MAGIC,
  byteForSelector,
  encodeSelectors,
  encodeTextWrapper,
  findSelectorRuns,
  findWrappers,
  selectorForByte,
  stampText,
  verifyText,
} from '../src/index.js'
import { SAMPLES, enc, stampOptions } from './helpers.js'

describe('variation-selector byte mapping (the C2PA unstructured-text mapping)', () => {
  it('maps 0x00-0x0F to U+FE00-U+FE0F and 0x10-0xFF to U+E0100-U+E01EF', () => {
    expect(selectorForByte(0x00).codePointAt(0)).toBe(0xfe00)
    expect(selectorForByte(0x0f).codePointAt(0)).toBe(0xfe0f)
    expect(selectorForByte(0x10).codePointAt(0)).toBe(0xe0100)
    expect(selectorForByte(0xff).codePointAt(0)).toBe(0xe01ef)
    for (let b = 0; b < 256; b++) expect(byteForSelector(selectorForByte(b).codePointAt(0)!)).toBe(b)
    expect(byteForSelector(0x41)).toBe(-1)
    expect(byteForSelector(0xe01f0)).toBe(-1)
    expect(() => selectorForByte(256)).toThrow(RangeError)
  })

  it('encodes the documented example: "TANBATXT", version 1, length 3, payload 01 02 FF', () => {
    const wrapper = encodeTextWrapper(Uint8Array.of(0x01, 0x02, 0xff))
    const cps = [...wrapper].map((c) => c.codePointAt(0)!.toString(16).toUpperCase())
    expect(cps).toEqual([
      'FEFF',
      'E0144', 'E0131', 'E013E', 'E0132', 'E0131', 'E0144', 'E0148', 'E0144', // T A N B A T X T
      'FE01', // version 1
      'FE00', 'FE00', 'FE00', 'FE03', // length 3, big-endian
      'FE01', 'FE02', 'E01EF', // payload
    ])
    expect(enc.encode(wrapper).length).toBe(3 + 8 * 4 + 4 * 3 + 1 * 3 + 2 * 3 + 4)
  })

  it('round-trips any bytes through a wrapper', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.string(), fc.string(), (payload, before, after) => {
        fc.pre(!after.startsWith('\uFE00') && byteForSelector(after.codePointAt(0) ?? 0) < 0)
        const text = before.replace(/\uFEFF/g, '') + encodeTextWrapper(payload) + after.replace(/\uFEFF/g, '')
        const wrappers = findWrappers(text)
        expect(wrappers).toHaveLength(1)
        expect(wrappers[0]!.kind).toBe('tanba')
        expect(wrappers[0]!.problem).toBeUndefined()
        expect(wrappers[0]!.payload).toEqual(payload)
      }),
    )
  })
})

describe('finding wrappers', () => {
  it('ignores selectors that belong to emoji and ideographs, and U+FEFF without selectors', () => {
    expect(findSelectorRuns(SAMPLES.emoji + SAMPLES.cjkVariants + '\uFEFFword \uFEFF')).toEqual([])
  })

  it('classifies Tanba, C2PA and unknown runs', () => {
    const text = 'a' + encodeTextWrapper(enc.encode('x')) + 'b' + encodeTextWrapper(enc.encode('manifest'), C2PA_TEXT_MAGIC) + 'c\uFEFF' + encodeSelectors(enc.encode('zz'))
    const wrappers = findWrappers(text)
    expect(wrappers.map((w) => [w.kind, w.problem])).toEqual([
      ['tanba', undefined],
      ['c2pa', undefined],
      ['unknown', undefined],
    ])
    expect(text.slice(wrappers[1]!.start, wrappers[1]!.end)).toBe(encodeTextWrapper(enc.encode('manifest'), C2PA_TEXT_MAGIC))
  })

  it('names truncation and corruption', () => {
    const full = encodeTextWrapper(enc.encode('payload'))
    const cut = (n: number) => findWrappers([...full].slice(0, n).join(''))[0]!
    expect(cut(6).problem).toBe('truncated: the wrapper ends after 5 of the 8 magic bytes')
    expect(cut(3).kind).toBe('unknown') // two bytes are too few to call it Tanba's
    expect(cut(11).problem).toBe('truncated: the 13-byte header is cut after 10 bytes')
    expect(cut(17).problem).toBe('truncated: the header declares 7 payload bytes but only 3 follow')
    expect(findWrappers(full + '\uFE00\uFE00')[0]!.problem).toBe('corrupt: 2 unexpected bytes follow the declared 7-byte payload')
    // C2PA wrappers may be padded after the manifest.
    expect(findWrappers(encodeTextWrapper(enc.encode('m'), C2PA_TEXT_MAGIC) + '\uFE00\uDB40\uDDEF')[0]!.problem).toBeUndefined()
  })

  it('bounds the number of runs examined', () => {
    const many = 'x\uFEFF\uFE00'.repeat(50)
    expect(findSelectorRuns(many, { maxSelectorRuns: 50 })).toHaveLength(50)
    expect(() => findSelectorRuns(many + many, { maxSelectorRuns: 50 })).toThrow(/more than 50 runs/)
  })
})

describe('C2PA text wrappers (C2PATXT)', () => {
  // A JUMBF-shaped manifest store: superbox "jumb" with a "c2pa" description, and an actions
  // assertion naming the IPTC digital source type, as C2PA writers encode it (CBOR text).
  function manifestStore(digitalSourceType: string): Uint8Array {
    const body = enc.encode(`jumd c2pa\u0000\u0011\u0000\u0010\u0080c2pa.actions\u0000created digitalSourceType http://cv.iptc.org/newscodes/digitalsourcetype/${digitalSourceType}`)
    const out = new Uint8Array(8 + body.length)
    new DataView(out.buffer).setUint32(0, out.length)
    out.set(enc.encode('jumb'), 4)
    out.set(body, 8)
    return out
  }

  it('reports presence, size and AI marking of a C2PA text manifest, next to a Tanba label', async () => {
    const creds = await createTestCredentials()
    const manifest = manifestStore('trainedAlgorithmicMedia')
    const input = 'Текст от другого инструмента.' + encodeTextWrapper(manifest, C2PA_TEXT_MAGIC)
    const unlabelled = await verifyText(input)
    expect(unlabelled.status).toBe('unlabelled')
    expect(unlabelled.aiMarked).toBe(true)
    expect(unlabelled.markers).toEqual([
      expect.objectContaining({ standard: 'c2pa', carrier: 'text:c2pa-wrapper', aiMarked: true, valid: null, value: { version: 1, declaredLength: manifest.length, manifestBytes: manifest.length } }),
    ])
    expect(unlabelled.messages.map((m) => m.rule)).toEqual(['c2pa.not-validated'])

    // Stamping keeps the C2PA wrapper (and says its binding breaks); the Tanba label ignores it.
    const stamped = await stampText(input, stampOptions(creds))
    expect(stamped.messages.map((m) => m.rule)).toEqual(['c2pa.binding-broken'])
    const wrappers = findWrappers(stamped.text)
    expect(wrappers.map((w) => w.kind)).toEqual(['c2pa', 'tanba'])
    const report = await verifyText(stamped.text)
    expect(report.status).toBe('valid')
    expect(report.markers.map((m) => m.standard)).toEqual(['tanba', 'c2pa', 'notice'])
    // Removing the C2PA wrapper is a metadata edit: the Tanba label stays valid.
    const withoutC2pa = stamped.text.slice(0, wrappers[0]!.start) + stamped.text.slice(wrappers[0]!.end)
    expect((await verifyText(withoutC2pa)).status).toBe('valid')
  })

  it('a C2PA manifest without an AI source type is present but not AI-marked; a cut one is invalid', async () => {
    const report = await verifyText('x' + encodeTextWrapper(manifestStore('digitalCapture'), C2PA_TEXT_MAGIC))
    expect(report.markers[0]).toMatchObject({ standard: 'c2pa', aiMarked: false })
    expect(report.aiMarked).toBe(false)
    const cut = [...encodeTextWrapper(manifestStore('trainedAlgorithmicMedia'), C2PA_TEXT_MAGIC)].slice(0, 40).join('')
    const broken = await verifyText('x' + cut)
    expect(broken.markers[0]).toMatchObject({ standard: 'c2pa', valid: false })
    expect(broken.messages[0]).toMatchObject({ rule: 'c2pa.wrapper-corrupt', fatal: false })
  })

  it('has the C2PA magic "C2PATXT\\0" and Tanba\'s own "TANBATXT"', () => {
    expect(String.fromCharCode(...C2PA_TEXT_MAGIC)).toBe('C2PATXT\0')
    expect(String.fromCharCode(...TANBA_TEXT_MAGIC)).toBe('TANBATXT')
  })
})
