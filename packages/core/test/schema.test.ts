import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { assertLabel, decodeCompactLabel, encodeCompactLabel, InvalidLabelError, isLabel, parseLabel, serializeLabel, signLabel, verifyLabelSignature, type Label } from '../src/index.js'
import { createTestCredentials } from '../src/testing.js'
import { sampleUnsigned } from './helpers.js'

async function signed(): Promise<Label> {
  const creds = await createTestCredentials()
  return signLabel(sampleUnsigned(), creds.signer)
}

describe('label schema', () => {
  it('accepts a signed label and its JSON round trip', async () => {
    const label = await signed()
    expect(isLabel(label)).toBe(true)
    expect(parseLabel(serializeLabel(label))).toEqual(label)
    expect(parseLabel(JSON.stringify({ 'tanba-label': label }))).toEqual(label)
  })

  const broken: Array<[string, (l: Record<string, any>) => void, RegExp]> = [
    ['a missing owner', (l) => delete l.owner, /must have required property 'owner'/],
    ['an unknown field', (l) => (l.extra = 1), /must NOT have additional properties/],
    ['a bad origin', (l) => (l.origin = 'human'), /\/origin/],
    ['a created time with milliseconds', (l) => (l.created = '2026-01-18T09:30:00.123Z'), /\/created/],
    ['an upper-case id', (l) => (l.id = l.id.toUpperCase()), /\/id/],
    ['an unknown profile', (l) => (l.profiles = ['us']), /\/profiles\/0/],
    ['a short digest', (l) => (l.binding.digest = 'abc'), /\/binding\/digest/],
    ['an empty owner name', (l) => (l.owner.name = ''), /\/owner\/name/],
    ['a lower-case country', (l) => (l.owner.country = 'kz'), /\/owner\/country/],
    ['a notice height over 1', (l) => (l.notice.height = 2), /\/notice\/height/],
  ]
  it.each(broken)('rejects %s with a message naming the field', async (_what, edit, message) => {
    const label = structuredClone(await signed()) as Record<string, any>
    edit(label)
    expect(() => assertLabel(label)).toThrow(InvalidLabelError)
    expect(() => assertLabel(label)).toThrow(message)
  })

  it('rejects non-JSON and non-label JSON', () => {
    expect(() => parseLabel('{nope')).toThrow(/Expected the label as JSON text/)
    expect(() => parseLabel('[]')).toThrow(InvalidLabelError)
  })
})

describe('compact label encoding', () => {
  it('round-trips without loss, including x5c', async () => {
    const label = await signed()
    expect(decodeCompactLabel(encodeCompactLabel(label))).toEqual(label)
  })

  it('round-trips arbitrary valid labels (property)', async () => {
    const base = await signed()
    const text = fc.string({ minLength: 1, maxLength: 40 })
    fc.assert(
      fc.property(text, fc.option(text, { nil: undefined }), fc.constantFrom('generated', 'modified'), fc.integer({ min: 0, max: 4102444800 }), (name, model, origin, seconds) => {
        const label = structuredClone(base) as Label
        label.system = { name, ...(model ? { model } : {}) }
        label.origin = origin as Label['origin']
        label.created = new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z')
        expect(decodeCompactLabel(encodeCompactLabel(label))).toEqual(label)
      }),
    )
  })

  it('codes known binding methods as integers and keeps others as text', async () => {
    const label = await signed() // binding.method "tanba.text/1"
    const other = { ...label, binding: { ...label.binding, method: 'tanba.image.data/1' } }
    expect(decodeCompactLabel(encodeCompactLabel(other)).binding.method).toBe('tanba.image.data/1')
    expect(encodeCompactLabel(other).length - encodeCompactLabel(label).length).toBe('tanba.image.data/1'.length + 1 - 1)
  })

  it('has one encoding per label: no changed byte decodes to the same label', async () => {
    const label = await signed()
    const bytes = encodeCompactLabel(label)
    const same = JSON.stringify(label)
    for (let at = 0; at < bytes.length; at++) {
      for (const flip of [0x01, 0x02, 0x10, 0x80, 0xff]) {
        const changed = bytes.slice()
        changed[at] = changed[at]! ^ flip
        let decoded: Label | undefined
        try {
          decoded = decodeCompactLabel(changed)
        } catch (e) {
          expect(e).toBeInstanceOf(InvalidLabelError)
        }
        if (decoded) expect(JSON.stringify(decoded), `byte ${at} ^ ${flip}`).not.toBe(same)
      }
    }
  })

  it('refuses a binding digest algorithm code other than sha-256 (0) instead of reading it as sha-256', async () => {
    const bytes = encodeCompactLabel(await signed())
    // binding map {1: method, 2: alg, 3: digest}: the alg entry is key 0x02 followed by value 0x00.
    const binding = bytes.findIndex((_, i) => bytes[i] === 0x02 && bytes[i + 1] === 0x00 && bytes[i + 2] === 0x03 && bytes[i + 3] === 0x58)
    expect(binding).toBeGreaterThan(0)
    const changed = bytes.slice()
    changed[binding + 1] = 0x01
    expect(() => decodeCompactLabel(changed)).toThrow(/binding digest algorithm code 1/)
  })

  it('rejects damaged compact bytes with InvalidLabelError', async () => {
    const bytes = encodeCompactLabel(await signed())
    expect(() => decodeCompactLabel(bytes.subarray(0, bytes.length - 3))).toThrow(InvalidLabelError)
    expect(() => decodeCompactLabel(new Uint8Array([0xa1, 0x63, 0x66, 0x6f, 0x6f, 0x01]))).toThrow(InvalidLabelError)
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (junk) => {
        try {
          decodeCompactLabel(junk)
        } catch (e) {
          expect(e).toBeInstanceOf(InvalidLabelError)
        }
      }),
    )
  })
})

describe('labels holding lone surrogates (found by the hardening fuzzer)', () => {
  it('are refused with InvalidLabelError when parsed, and canonical JSON never throws an untyped error', async () => {
    const label = await signed()
    const text = serializeLabel(label).replace(`"name":"${label.owner.name}"`, `"name":"${label.owner.name}\\ud800"`)
    expect(text).toContain('\\ud800')
    expect(() => parseLabel(text)).toThrow(InvalidLabelError)
    expect(() => parseLabel(text)).toThrow(/lone UTF-16 surrogate at \/owner\/name/)
    expect(isLabel(JSON.parse(text))).toBe(false)
    expect(() => serializeLabel(JSON.parse(text) as Label)).toThrow(InvalidLabelError)
    // A well-formed pair is fine.
    expect(parseLabel(serializeLabel(label).replace(`"name":"${label.owner.name}"`, `"name":"${label.owner.name}\\ud83c\\udf04"`)).owner.name).toBe(`${label.owner.name}🌄`)
  })
})

describe('signature checks never throw on a damaged label (found by the hardening fuzzer)', () => {
  it('a sig.pub that is not base64url, next to an x5c chain, is an invalid signature, not a TypeError', async () => {
    const label = await signed()
    expect(label.sig.x5c?.length).toBeGreaterThan(0)
    for (const pub of [`${label.sig.pub}A`, 'A', '']) {
      const r = await verifyLabelSignature({ ...label, sig: { ...label.sig, pub } })
      expect(r.valid).toBe(false)
    }
  })
})
