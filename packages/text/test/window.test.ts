// Large plain texts are decoded only at their ends when their middle cannot matter (src/window.ts).
// That shortcut must never change an answer: every test here compares it with the whole-text path.
import { DEFAULT_LIMITS, stampWith, verifyWith, type Adapter } from '@tanba/core'
import { createTestCredentials, type TestCredentials } from '@tanba/core/testing'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { createTextAdapter, plainTextFormat } from '../src/index.js'
import { NFC_INERT_RANGES, NFC_INERT_UNICODE } from '../src/generated/nfc-inert.js'
import { elidePlainText, inertUnits, isNfcInert } from '../src/window.js'
import { inertCodePoints } from './nfc-inert-reference.mjs'
import { SAMPLES, enc, stampOptions } from './helpers.js'

let creds: TestCredentials
beforeAll(async () => {
  creds = await createTestCredentials()
})

const SMALL = { minBytes: 0, window: 24 * 1024 }
const elided = createTextAdapter({ elide: SMALL })
const whole = createTextAdapter({ elide: false })
const limits = DEFAULT_LIMITS
const openOptions = { limits: DEFAULT_LIMITS, adapterOptions: {} }
const seconds = 30_000

describe('the NFC-inert table', () => {
  it('is what this runtime derives from its own normaliser, or (another Unicode) never calls a non-inert code point inert', () => {
    const reference = inertCodePoints()
    const mismatches: number[] = []
    for (let c = 0; c < reference.length; c++) {
      const table = isNfcInert(c)
      if (NFC_INERT_UNICODE === process.versions.unicode ? table !== (reference[c] === 1) : table && reference[c] !== 1) mismatches.push(c)
    }
    expect(mismatches.slice(0, 10)).toEqual([])
    expect(NFC_INERT_RANGES.length % 2).toBe(0)
  })

  it('an all-inert text is NFC and stays itself between any two texts cut at line breaks (property)', () => {
    const inertChar = fc.constantFrom(...'aZ9 .Әқңүһ中文👍🏽😀\uE000가ᄀ\u034F\uFE0F'.split(/(?=[\s\S])/u))
    const any = fc.string({ unit: fc.constantFrom('a', 'e', '\u0301', '\u0308', '\u0323', 'ᅡ', '\u11A8', '가', 'Å', '\u212B', '\n', '\r', 'क', '\u093C', '\u094D') })
    fc.assert(
      fc.property(fc.array(inertChar, { maxLength: 40 }), any, any, (chars, x, y) => {
        const s = chars.join('')
        expect(inertUnits(enc.encode(s))).toBe(s.length)
        expect(s.normalize('NFC')).toBe(s)
        expect((x + s + '\n' + y).normalize('NFC')).toBe(x.normalize('NFC') + s + ('\n' + y).normalize('NFC'))
      }),
      { numRuns: 2000 },
    )
    for (const c of ['\u0301', '\u0308', 'ᅡ', '\u11A8', '\u212B', '\u093C', '\u094D', '\u0F73']) expect(inertUnits(enc.encode(`ab${c}`)), c).toBe(-1)
  })
})

const LINES = [
  SAMPLES.kazakh,
  SAMPLES.chinese,
  SAMPLES.emoji,
  SAMPLES.russian,
  'plain ASCII line with some words',
  '',
  'e\u0301 decomposed',
  'Hangul 가각 and jamo 가\u11A8',
  'a line with \r in it',
  'CRLF line\r',
  '[AI] Осы мазмұнды жасанды интеллект жасаған.',
  'not a notice [AI] inside',
  'private use \uE000\uE001 characters',
  'a BOM \uFEFF in the middle',
  'variation selectors \uFE0F\uFE00 without a BOM',
]

/** A text of many lines, mostly ordinary, sometimes with one line of the kinds that forbid the shortcut. */
const textArb = fc
  .record({
    body: fc.array(fc.constantFrom(0, 1, 2, 3, 4, 5), { minLength: 800, maxLength: 1600 }),
    odd: fc.array(fc.tuple(fc.nat(1599), fc.integer({ min: 6, max: LINES.length - 1 })), { maxLength: 2 }),
    bom: fc.boolean(),
    finalBreak: fc.constantFrom('', '\n', '\n\n', '\r\n'),
  })
  .map(({ body, odd, bom, finalBreak }) => {
    const lines = body.map((i) => LINES[i]!)
    for (const [at, kind] of odd) lines.splice(at % (lines.length + 1), 0, LINES[kind]!)
    return (bom ? '\uFEFF' : '') + lines.join('\n') + finalBreak
  })

async function report(adapter: Adapter, bytes: Uint8Array) {
  const r = await verifyWith(adapter, bytes, plainTextFormat, { trust: creds.trust })
  return { status: r.status, markers: r.markers, messages: r.messages, label: r.label?.id, signature: r.signature }
}

/** The stamped bytes without the label's wrapper (ids, times and signatures differ between stamps). */
function withoutLabel(bytes: Uint8Array): string {
  const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes)
  return text.slice(0, text.lastIndexOf('\uFEFF'))
}

describe('the elided path gives the answers of the whole text', () => {
  it('takes the shortcut on an ordinary large text, and not on one whose middle matters', () => {
    const ordinary = enc.encode(`${SAMPLES.kazakh}\n`.repeat(2000))
    expect(elidePlainText(ordinary, limits, SMALL)).toBeDefined()
    for (const odd of ['\r', '\uFEFF', '\n[AI] notice', 'e\u0301']) {
      const lines = `${SAMPLES.kazakh}\n`.repeat(2000)
      const half = lines.indexOf('\n', lines.length / 2) + 1
      expect(elidePlainText(enc.encode(lines.slice(0, half) + odd + lines.slice(half)), limits, SMALL), JSON.stringify(odd)).toBeUndefined()
    }
    expect(elidePlainText(ordinary, limits)).toBeUndefined() // below ELIDE_MIN_BYTES
  })

  it('verify, stamp and restamp agree with the whole-text path on random texts (property)', async () => {
    let shortcuts = 0
    await fc.assert(
      fc.asyncProperty(textArb, async (text) => {
        const input = enc.encode(text)
        if (elidePlainText(input, limits, SMALL)) shortcuts++
        expect(await report(elided, input)).toEqual(await report(whole, input))
        const a = await elided.open(input, plainTextFormat, openOptions)
        const b = await whole.open(input, plainTextFormat, openOptions)
        expect(await a.read({ c2pa: false })).toEqual(await b.read({ c2pa: false }))
        const options = stampOptions(creds)
        const fromElided = (await stampWith(elided, input, plainTextFormat, options)).bytes
        const fromWhole = (await stampWith(whole, input, plainTextFormat, options)).bytes
        expect(withoutLabel(fromElided)).toBe(withoutLabel(fromWhole))
        // Each path verifies what the other stamped; a restamp of a stamped text agrees too.
        expect((await report(whole, fromElided)).status).toBe('valid')
        expect((await report(elided, fromWhole)).status).toBe('valid')
        const again = (await stampWith(elided, fromWhole, plainTextFormat, options)).bytes
        expect(withoutLabel(again)).toBe(withoutLabel((await stampWith(whole, fromWhole, plainTextFormat, options)).bytes))
        expect((await report(whole, again)).status).toBe('valid')
      }),
      { numRuns: 40 },
    )
    expect(shortcuts).toBeGreaterThan(10)
  }, seconds * 4)

  it('binds the middle it never decodes: any change there makes the label invalid', async () => {
    const input = enc.encode(`${SAMPLES.kazakh}\n${SAMPLES.chinese}\n`.repeat(1500))
    const stamped = (await stampWith(elided, input, plainTextFormat, stampOptions(creds))).bytes
    expect(elidePlainText(stamped, limits, SMALL)).toBeDefined()
    expect((await report(elided, stamped)).status).toBe('valid')
    const mid = Math.floor(stamped.length / 2)
    const changes: Array<[string, (b: Uint8Array) => Uint8Array]> = [
      ['one byte', (b) => ((b = b.slice()), (b[b.indexOf(0x20, mid)] = 0x2e), b)],
      ['a line swapped', (b) => {
        const t = new TextDecoder().decode(b)
        const at = t.indexOf('\n', t.length / 2) + 1
        return enc.encode(t.slice(0, at) + t.slice(at).replace(`${SAMPLES.kazakh}\n${SAMPLES.chinese}\n`, `${SAMPLES.chinese}\n${SAMPLES.kazakh}\n`))
      }],
      ['a line dropped', (b) => {
        const t = new TextDecoder().decode(b)
        const at = t.indexOf('\n', t.length / 2) + 1
        return enc.encode(t.slice(0, at) + t.slice(t.indexOf('\n', at) + 1))
      }],
    ]
    for (const [what, change] of changes) {
      const changed = change(stamped)
      expect(elidePlainText(changed, limits, SMALL), what).toBeDefined()
      expect((await report(elided, changed)).status, what).toBe('invalid')
      expect((await report(whole, changed)).status, what).toBe('invalid')
    }
  })
})
