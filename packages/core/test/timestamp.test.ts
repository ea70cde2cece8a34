import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createTsaClient,
  decodeCompactLabel,
  DependencyError,
  encodeCompactLabel,
  fromBase64Url,
  InvalidOptionError,
  signerTrustRules,
  signLabel,
  stampWith,
  toBase64,
  TrustStore,
  utf8,
  verifyLabelSignature,
  verifyWith,
  type Label,
} from '../src/index.js'
import { days, issue, type Issued, signerFor } from './pki-kit.js'
import { hasOpenssl, startTsa, type LocalTsa } from './tsa-kit.js'
import { sampleUnsigned } from './helpers.js'
import { createTrailerAdapter, trailerFormat } from './trailer-adapter.js'

const openssl = await hasOpenssl()
if (!openssl) console.warn('SKIPPED: the RFC 3161 tests need the openssl CLI (openssl ts -reply) for their local TSA')

describe.skipIf(!openssl)('RFC 3161 time-stamps (a local TSA: openssl ts on 127.0.0.1)', () => {
  let tsa: LocalTsa
  let root: Issued
  let leaf: Issued
  let withTsa: TrustStore
  let label: Label
  // The leaf's last day is tomorrow; "later" is the day after, when it has expired.
  const later = days(3)

  beforeAll(async () => {
    tsa = await startTsa()
    root = await issue({ cn: 'TS Signing Root', ca: true, notBefore: days(-10) })
    leaf = await issue({ cn: 'Short-lived signer', issuer: root, notBefore: days(-1), notAfter: days(1) })
    withTsa = await TrustStore.from({ pem: root.pem, tsa: tsa.root.pem })
    label = await signLabel(sampleUnsigned(), await signerFor(leaf, [leaf]), { timestamp: createTsaClient({ url: tsa.url }) })
  })
  afterAll(() => tsa?.close())

  it('carries the token in sig.tst, outside the signing input, and the label stays schema-valid', async () => {
    expect(label.sig.tst).toMatch(/^[A-Za-z0-9+/]+={0,2}$/)
    expect(tsa.requests()).toBeGreaterThanOrEqual(1)
    // Valid today, with or without the token.
    expect(await verifyLabelSignature(label, { trust: withTsa })).toMatchObject({ valid: true, trusted: true, timestamp: { trusted: true, tsa: expect.stringContaining('CN=Test TSA') } })
  })

  it('survives the compact (CBOR) form, with and without x5c', async () => {
    const { x5c: _x5c, ...sig } = label.sig
    for (const copy of [label, { ...label, sig }]) {
      const back = decodeCompactLabel(encodeCompactLabel(copy))
      expect(back.sig.tst).toBe(copy.sig.tst)
    }
    // Compact, without the chain, with the signer certificate pinned: the time-stamp still dates it.
    const pinned = await TrustStore.from({ pem: leaf.pem, tsa: tsa.root.pem })
    const compact = decodeCompactLabel(encodeCompactLabel({ ...label, sig }))
    expect(await verifyLabelSignature(compact, { trust: pinned, now: later })).toMatchObject({ trusted: true, timestamp: { trusted: true } })
    expect(await verifyLabelSignature(compact, { trust: await TrustStore.from({ pem: leaf.pem }), now: later })).toMatchObject({ trusted: false, trustRule: 'certificate.validity' })
  })

  it('expired leaf without a time-stamp: untrusted, rule certificate.validity', async () => {
    const { tst: _tst, ...sig } = label.sig
    const result = await verifyLabelSignature({ ...label, sig }, { trust: withTsa, now: later })
    expect(result).toMatchObject({ valid: true, trusted: false, trustRule: 'certificate.validity', checkedAt: later.toISOString() })
    expect(result.problem).toMatch(/expired on/)
  })

  it('expired leaf with a trusted time-stamp made during its validity: trusted, checked at the TSA time', async () => {
    const result = await verifyLabelSignature(label, { trust: withTsa, now: later })
    expect(result).toMatchObject({ valid: true, trusted: true, trust: 'trusted', timestamp: { trusted: true } })
    const genTime = new Date(result.timestamp!.time!)
    expect(result.checkedAt).toBe(genTime.toISOString())
    expect(genTime < later).toBe(true)
  })

  it('a sound token from a TSA the verifier does not trust is not used (and a signing root is no TSA root)', async () => {
    for (const trust of [await TrustStore.from({ pem: root.pem }), await TrustStore.from({ pem: [root.pem, tsa.root.pem] })]) {
      const result = await verifyLabelSignature(label, { trust, now: later })
      expect(result).toMatchObject({ valid: true, trusted: false, trustRule: 'certificate.validity', timestamp: { trusted: false } })
      expect(result.problem).toMatch(/time-stamp was not used/)
    }
  })

  it('a tampered token is refused: timestamp.invalid, even while the certificate is still valid', async () => {
    const token = fromBase64Url(label.sig.tst!)
    const other = await signLabel(sampleUnsigned({ id: '1b8f6a52-3c1e-4f7a-9d2b-5e6f7a8b9c0d' }), await signerFor(leaf, [leaf]), { timestamp: createTsaClient({ url: tsa.url }) })
    const flipped = token.slice()
    // A byte inside the TSTInfo (genTime sits near the middle of the token's first half).
    const at = indexOfGenTime(flipped)
    flipped[at + 5]! ^= 0x01
    const cases: Array<[string, string]> = [
      ['another label\'s token', other.sig.tst!],
      ['a changed genTime', toBase64(flipped)],
      ['a truncated token', toBase64(token.subarray(0, token.length - 40))],
      ['not base64', '!!!!'],
    ]
    for (const [name, tst] of cases) {
      for (const now of [new Date(), later]) {
        const result = await verifyLabelSignature({ ...label, sig: { ...label.sig, tst } }, { trust: withTsa, now })
        expect(result, name).toMatchObject({ valid: true, trusted: false, trustRule: 'timestamp.invalid' })
        expect(result.problem, name).toMatch(/time-stamp \(sig\.tst\) is not accepted/)
      }
    }
  })

  it('a leaf already expired when stamped: the trusted time does not rescue it', async () => {
    const lapsed = await issue({ cn: 'Lapsed signer', issuer: root, notBefore: days(-5), notAfter: days(-1) })
    const late = await signLabel(sampleUnsigned(), await signerFor(lapsed, [lapsed]), { timestamp: createTsaClient({ url: tsa.url }) })
    const result = await verifyLabelSignature(late, { trust: withTsa })
    expect(result).toMatchObject({ trusted: false, trustRule: 'certificate.validity', timestamp: { trusted: true } })
  })

  it('the same rule for C2PA: signerTrustRules gives the anchors as PEM and the same decision', async () => {
    const rules = signerTrustRules(withTsa)
    expect(rules.anchorsPem.trim()).toBe(root.pem.trim())
    expect(rules.timestampAnchorsPem.trim()).toBe(tsa.root.pem.trim())
    expect(rules.signingEkus).toContain('1.3.6.1.5.5.7.3.36')
    const data = fromBase64Url(label.sig.value)
    const token = fromBase64Url(label.sig.tst!)
    expect(await rules.check([leaf.der], { timestamp: { token, data }, now: later })).toMatchObject({ trusted: true, timestamp: { trusted: true } })
    expect(await rules.check([leaf.der], { now: later })).toMatchObject({ trusted: false, rule: 'certificate.validity' })
    expect(await rules.check([leaf.der], { timestamp: { token, data: utf8('other bytes') }, now: later })).toMatchObject({ trusted: false, rule: 'timestamp.invalid' })
  })

  it('stamping with tsa: { url } time-stamps every label, and verify reports it', async () => {
    const adapter = createTrailerAdapter()
    const signer = await signerFor(leaf, [leaf, root])
    const before = tsa.requests()
    const { bytes, label: stamped } = await stampWith(adapter, utf8('TRL1 time-stamped'), trailerFormat, { system: { name: 'Demo' }, owner: { name: 'Acme' }, signer, tsa: { url: tsa.url } })
    expect(tsa.requests()).toBe(before + 1)
    expect(stamped.sig.tst).toBeDefined()
    const report = await verifyWith(adapter, bytes, trailerFormat, { trust: withTsa, requireTrusted: true })
    expect(report).toMatchObject({ status: 'valid', signature: { trusted: true, timestamp: { trusted: true } } })
  })

  it('a TSA that is down or answers junk fails the stamp with a DependencyError naming the URL', async () => {
    const dead = createTsaClient({ url: 'http://127.0.0.1:9/tsa' })
    await expect(dead.timestamp(utf8('x'))).rejects.toBeInstanceOf(DependencyError)
    const junk = createTsaClient({ url: tsa.url, fetch: async () => new Response('not a reply', { status: 200 }) })
    await expect(junk.timestamp(utf8('x'))).rejects.toThrow(/did not answer with an RFC 3161 TimeStampResp/)
    const refused = createTsaClient({ url: tsa.url, fetch: async () => new Response('no', { status: 503 }) })
    await expect(refused.timestamp(utf8('x'))).rejects.toThrow(/answered HTTP 503/)
    // A reply for other data (a replayed token) is refused too.
    const replay = createTsaClient({
      url: tsa.url,
      fetch: async (input, init) => fetch(input, { ...init, body: (await replayQuery(init!.body as Uint8Array)) as Uint8Array<ArrayBuffer> }),
    })
    await expect(replay.timestamp(utf8('x'))).rejects.toThrow(/stamped other data|another nonce/)
    expect(() => createTsaClient({ url: 'ftp://example.org' })).toThrow(InvalidOptionError)
  })
})

/** The offset of the GeneralizedTime tag (0x18, length 15) of TSTInfo.genTime. */
function indexOfGenTime(token: Uint8Array): number {
  for (let i = 0; i + 16 < token.length; i++) if (token[i] === 0x18 && token[i + 1] === 0x0f && token[i + 16] === 0x5a) return i
  throw new Error('no genTime in the token')
}

/** The same query with its hash changed: the TSA then stamps other data than was asked. */
async function replayQuery(query: Uint8Array): Promise<Uint8Array> {
  const copy = query.slice()
  // The SHA-256 imprint is the 32 bytes after the first OCTET STRING header 04 20.
  for (let i = 0; i + 34 < copy.length; i++) {
    if (copy[i] === 0x04 && copy[i + 1] === 0x20) {
      copy[i + 2]! ^= 0xff
      return copy
    }
  }
  return copy
}
