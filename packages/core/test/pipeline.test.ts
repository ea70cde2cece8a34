import { describe, expect, it } from 'vitest'
import { concatBytes, extendResult, fromUtf8, resultFromParts, resultLength, stampWith, utf8, verifyWith, TrustStore, tc260Json, toTc260, InvalidOptionError, serializeLabel, type Label } from '../src/index.js'
import { createTestCredentials, describeAdapterConformance } from '../src/testing.js'
import { createTrailerAdapter, trailerFormat } from './trailer-adapter.js'

const content = utf8('TRL1 Бұл мәтінді жасанды интеллект жазды.')
const base = {
  system: { name: 'Demo', model: 'm1' },
  owner: { name: 'Acme LLP', id: '123456789012' },
}

describeAdapterConformance('trailer test adapter', {
  adapter: async () => createTrailerAdapter(),
  samples: [{ name: 'trailer sample', format: trailerFormat, bytes: content }],
  tamperEssence: (bytes) => {
    bytes[6]! ^= 1
    return bytes
  },
})

describe('verification pipeline', () => {
  it('stamps and verifies, and catches every kind of damage', async () => {
    const creds = await createTestCredentials()
    const adapter = createTrailerAdapter()
    const { bytes, label } = await stampWith(adapter, content, trailerFormat, { ...base, signer: creds.signer })
    const ok = await verifyWith(adapter, bytes, trailerFormat, { trust: creds.trust, file: 'a.trl' })
    expect(ok).toMatchObject({ file: 'a.trl', status: 'valid', aiMarked: true, format: 'trailer', mediaType: 'application/x-tanba-trailer' })
    expect(ok.profiles.kz).toEqual({ pass: true, failures: [] })

    // Two copies that disagree: invalid, with the rule named.
    const other = await stampWith(adapter, content, trailerFormat, { ...base, signer: creds.signer })
    const doubled = concatBytes(bytes, utf8('\n--TANBA-TRAILER--\n'), utf8(serializeLabel(other.label)))
    const r1 = await verifyWith(adapter, doubled, trailerFormat, { trust: creds.trust })
    expect(r1.status).toBe('invalid')
    expect(r1.messages.map((m) => m.rule)).toContain('label.carriers-disagree')

    // A copy that does not decode: invalid, never unlabelled or valid.
    const garbled = concatBytes(content, utf8('\n--TANBA-TRAILER--\n{"tanba":1}'))
    const r2 = await verifyWith(adapter, garbled, trailerFormat)
    expect(r2.status).toBe('invalid')
    expect(r2.messages[0]).toMatchObject({ rule: 'label.undecodable', fatal: true })

    // The label copied onto other content: signature fine, binding broken.
    const moved = concatBytes(utf8('TRL1 other text'), utf8('\n--TANBA-TRAILER--\n'), utf8(serializeLabel(label)))
    const r3 = await verifyWith(adapter, moved, trailerFormat, { trust: creds.trust })
    expect(r3).toMatchObject({ status: 'invalid', signature: { valid: true }, binding: { valid: false } })

    // Untrusted is a warning unless trust is required.
    const r4 = await verifyWith(adapter, bytes, trailerFormat, { requireTrusted: true, trust: new TrustStore() })
    expect(r4.status).toBe('invalid')
    expect(r4.messages).toContainEqual(expect.objectContaining({ rule: 'signature.untrusted', fatal: true }))
  })

  it('cross-checks derived carriers and reports disagreement without failing the label', async () => {
    const creds = await createTestCredentials()
    const plain = createTrailerAdapter()
    const { bytes, label } = await stampWith(plain, content, trailerFormat, { ...base, signer: creds.signer })
    const wrongTc = { ...toTc260(label), ProduceID: 'someone-else' }
    const adapter = createTrailerAdapter([
      { standard: 'tc260', carrier: 'xmp', aiMarked: true, valid: null, value: tc260Json(wrongTc) },
      { standard: 'iptc', carrier: 'xmp', aiMarked: false, valid: null, value: 'http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture' },
    ])
    const report = await verifyWith(adapter, bytes, trailerFormat, { trust: creds.trust })
    expect(report.status).toBe('valid')
    const disagreements = report.messages.filter((m) => m.rule === 'carriers.disagree')
    expect(disagreements).toHaveLength(2)
    expect(disagreements.every((m) => !m.fatal)).toBe(true)
  })

  it('evaluates profiles: cn needs a TC260 marker, eu needs English', async () => {
    const creds = await createTestCredentials()
    const adapter = createTrailerAdapter()
    const { bytes } = await stampWith(adapter, content, trailerFormat, { ...base, signer: creds.signer, profiles: ['kz'] })
    const report = await verifyWith(adapter, bytes, trailerFormat, { trust: creds.trust, profiles: ['kz', 'cn', 'eu', 'uz'] })
    expect(report.profiles.kz?.pass).toBe(true)
    expect(report.profiles.cn?.failures).toEqual(expect.arrayContaining(['machine-readable: expected a valid tc260 marker', 'notice: expected the notice in language "zh"']))
    expect(report.profiles.eu?.failures).toContain('notice: expected the notice in language "en"')
    expect(report.profiles.uz?.failures).toContain('notice: expected the notice in language "uz"')
  })

  it('turns adapter failures into an error report and validates options up front', async () => {
    const adapter = createTrailerAdapter()
    const report = await verifyWith(adapter, utf8('not a trailer file'), trailerFormat, { file: 'x.trl' })
    expect(report).toMatchObject({ status: 'error', error: { code: 'TANBA_MALFORMED_INPUT' }, file: 'x.trl' })
    const creds = await createTestCredentials()
    await expect(stampWith(adapter, content, trailerFormat, { ...base, signer: creds.signer, owner: { name: '' } })).rejects.toThrow(InvalidOptionError)
    await expect(stampWith(adapter, content, trailerFormat, { ...base, signer: creds.signer, profiles: ['us' as never] })).rejects.toThrow(/Expected profiles from kz, uz, cn, eu/)
    await expect(stampWith(adapter, content, trailerFormat, { ...base, signer: creds.signer, origin: 'human' as never })).rejects.toThrow(/generated" or "modified/)
  })

  it('stops when the AbortSignal fires', async () => {
    const creds = await createTestCredentials()
    const controller = new AbortController()
    controller.abort()
    await expect(stampWith(createTrailerAdapter(), content, trailerFormat, { ...base, signer: creds.signer, signal: controller.signal })).rejects.toMatchObject({ code: 'TANBA_ABORTED' })
  })

  it('keeps the label it returns identical to the one embedded', async () => {
    const creds = await createTestCredentials()
    const adapter = createTrailerAdapter()
    const result = await stampWith(adapter, content, trailerFormat, { ...base, signer: creds.signer, origin: 'modified', prompt: { text: 'a poem' } })
    const report = await verifyWith(adapter, result.bytes, trailerFormat)
    expect(report.label).toEqual(result.label)
    expect((report.label as Label).prompt).toEqual({ text: 'a poem' })
    expect(report.label?.origin).toBe('modified')
  })
})

describe('stamp results built from parts', () => {
  const label = { tanba: 1 } as unknown as Label

  it('join the parts on the first read of bytes, once, and report their length without joining', () => {
    const input = new Uint8Array(10_000).fill(7)
    const parts = [utf8('head'), input.subarray(100), utf8('tail')]
    const result = resultFromParts(parts, { label, carriers: ['x'], messages: [] })
    expect(resultLength(result)).toBe(4 + 9_900 + 4)
    const bytes = result.bytes
    expect(bytes).toEqual(concatBytes(...parts))
    expect(result.bytes).toBe(bytes)
    // One piece is handed back as it is, not copied.
    expect(resultFromParts([input], { label, carriers: [], messages: [] }).bytes).toBe(input)
  })

  it('keep bytes unjoined through extendResult, and join when spread', () => {
    let joins = 0
    const parts = [utf8('a'), utf8('b')]
    const result = resultFromParts(parts, { label, carriers: [], messages: [] })
    const descriptor = Object.getOwnPropertyDescriptor(result, 'bytes')!
    Object.defineProperty(result, 'bytes', { ...descriptor, get: () => (joins++, descriptor.get!()) })
    const extended = extendResult(result, { format: 'test' })
    expect(joins).toBe(0)
    expect(extended.parts).toBe(parts)
    expect(extended.format).toBe('test')
    expect(fromUtf8(extended.bytes)).toBe('ab')
    expect(joins).toBe(1)
    const spread = { ...result }
    expect(fromUtf8(spread.bytes)).toBe('ab')
  })
})
