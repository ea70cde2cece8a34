import { beforeAll, describe, expect, it } from 'vitest'
import { signLabel, TrustStore, verifyLabelSignature, type Label } from '../src/index.js'
import { days, issue, KU, OID, permittedOrganisation, signerFor, x5c, type Issued } from './pki-kit.js'
import { sampleUnsigned } from './helpers.js'

// Every RFC 5280 / C2PA-profile rule on its own: a chain with exactly one defect must verify as
// valid but untrusted, naming that rule, while the same chain without the defect is trusted.
let root: Issued
let inter: Issued
let store: TrustStore

beforeAll(async () => {
  root = await issue({ cn: 'Matrix Root', ca: true })
  inter = await issue({ cn: 'Matrix Intermediate', issuer: root, ca: true })
  store = await TrustStore.from({ pem: root.pem })
})

async function labelFor(leaf: Issued, chain: Issued[]): Promise<Label> {
  return signLabel(sampleUnsigned(), await signerFor(leaf, chain))
}

async function expectRule(leaf: Issued, chain: Issued[], rule: string, trust: TrustStore = store, pattern?: RegExp) {
  const result = await verifyLabelSignature(await labelFor(leaf, chain), { trust })
  expect(result).toMatchObject({ valid: true, trusted: false, trust: 'untrusted', trustRule: rule })
  expect(result.problem).toContain(`[${rule}]`)
  if (pattern) expect(result.problem).toMatch(pattern)
  return result
}

describe('certificate path validation: each rule on its own', () => {
  it('trusts the defect-free chains (control)', async () => {
    const leaf = await issue({ cn: 'Good leaf', issuer: inter })
    const direct = await issue({ cn: 'Good direct leaf', issuer: root })
    for (const [l, chain] of [
      [leaf, [leaf, inter]],
      [leaf, [leaf, inter, root]],
      [direct, [direct]],
    ] as Array<[Issued, Issued[]]>) {
      const result = await verifyLabelSignature(await labelFor(l, chain), { trust: store })
      expect(result, `chain of ${chain.length}`).toMatchObject({ valid: true, trusted: true, signer: { anchor: 'CN=Matrix Root' } })
      expect(result.checkedAt).toBeDefined()
    }
  })

  const leafCases: Array<[string, Parameters<typeof issue>[0], string, RegExp]> = [
    ['key usage without digitalSignature', { cn: 'KU leaf', ku: KU.keyEncipherment }, 'certificate.leaf-key-usage', /lacks the digitalSignature/],
    ['no key usage at all', { cn: 'No KU leaf', ku: null }, 'certificate.leaf-key-usage', /no keyUsage/],
    ['keyCertSign on a leaf', { cn: 'KCS leaf', ku: KU.digitalSignature | KU.keyCertSign, ca: false }, 'certificate.leaf-key-usage', /keyCertSign/],
    ['EKU serverAuth only', { cn: 'TLS leaf', eku: [OID.serverAuth] }, 'certificate.leaf-eku', /1\.3\.6\.1\.5\.5\.7\.3\.1/],
    ['EKU timeStamping only (a TSA key used as a signer)', { cn: 'TSA-as-signer leaf', eku: [OID.timeStamping] }, 'certificate.leaf-eku', /expected one of/],
    ['no EKU', { cn: 'No EKU leaf', eku: null }, 'certificate.leaf-eku', /no extended key usage/],
    ['anyExtendedKeyUsage', { cn: 'Any EKU leaf', eku: [OID.anyEku, OID.emailProtection] }, 'certificate.leaf-eku', /anyExtendedKeyUsage/],
    ['the leaf is a CA (CA:TRUE)', { cn: 'CA leaf', ca: true, ku: KU.digitalSignature, eku: [OID.documentSigning] }, 'certificate.leaf-is-ca', /CA:TRUE/],
    ['an unknown critical extension on the leaf', { cn: 'Critical leaf', unknownCritical: true }, 'certificate.critical-extension', /1\.3\.6\.1\.4\.1\.55555\.1\.1/],
    ['an expired leaf', { cn: 'Expired leaf', notBefore: days(-30), notAfter: days(-1) }, 'certificate.validity', /expired on/],
    ['a leaf not yet valid', { cn: 'Future leaf', notBefore: days(2), notAfter: days(30) }, 'certificate.validity', /not valid before/],
  ]
  for (const [name, options, rule, pattern] of leafCases) {
    it(`leaf: ${name} → ${rule}`, async () => {
      const leaf = await issue({ ...options, issuer: inter })
      await expectRule(leaf, [leaf, inter], rule, store, pattern)
    })
  }

  it('a leaf issued by an end-entity certificate → certificate.issuer-not-ca', async () => {
    const ee = await issue({ cn: 'End entity', issuer: root, ca: false })
    const leaf = await issue({ cn: 'Leaf under EE', issuer: ee })
    await expectRule(leaf, [leaf, ee], 'certificate.issuer-not-ca', store, /CN=End entity/)
  })

  it('an issuer without basicConstraints (keyCertSign only) → certificate.issuer-not-ca', async () => {
    const noBc = await issue({ cn: 'No BC issuer', issuer: root, ca: null, ku: KU.keyCertSign })
    const leaf = await issue({ cn: 'Leaf under no-BC', issuer: noBc })
    await expectRule(leaf, [leaf, noBc], 'certificate.issuer-not-ca')
  })

  it('a CA:TRUE issuer whose key usage lacks keyCertSign → certificate.issuer-not-ca', async () => {
    const noKcs = await issue({ cn: 'No KCS issuer', issuer: root, ca: true, ku: KU.digitalSignature | KU.cRLSign })
    const leaf = await issue({ cn: 'Leaf under no-KCS', issuer: noKcs })
    await expectRule(leaf, [leaf, noKcs], 'certificate.issuer-not-ca')
  })

  it('pathLenConstraint: a root allowing 0 intermediates above one intermediate → certificate.path-length', async () => {
    const strictRoot = await issue({ cn: 'PathLen 0 Root', ca: true, pathLen: 0 })
    const mid = await issue({ cn: 'Mid CA', issuer: strictRoot, ca: true })
    const leaf = await issue({ cn: 'Deep leaf', issuer: mid })
    const trust = await TrustStore.from({ pem: strictRoot.pem })
    await expectRule(leaf, [leaf, mid], 'certificate.path-length', trust, /pathLenConstraint/)
    // The same root with a direct leaf is fine: the constraint counts intermediates only.
    const direct = await issue({ cn: 'Direct leaf', issuer: strictRoot })
    expect((await verifyLabelSignature(await labelFor(direct, [direct]), { trust })).trusted).toBe(true)
  })

  it('pathLenConstraint on an intermediate → certificate.path-length', async () => {
    const mid0 = await issue({ cn: 'Mid pathLen 0', issuer: root, ca: true, pathLen: 0 })
    const sub = await issue({ cn: 'Sub CA', issuer: mid0, ca: true })
    const leaf = await issue({ cn: 'Leaf under sub', issuer: sub })
    await expectRule(leaf, [leaf, sub, mid0], 'certificate.path-length', store, /Mid pathLen 0/)
  })

  it('an expired intermediate → certificate.validity', async () => {
    const old = await issue({ cn: 'Expired intermediate', issuer: root, ca: true, notBefore: days(-60), notAfter: days(-2) })
    const leaf = await issue({ cn: 'Leaf under expired', issuer: old })
    await expectRule(leaf, [leaf, old], 'certificate.validity', store, /Expired intermediate/)
  })

  it('an expired anchor, in x5c or not → certificate.validity', async () => {
    const oldRoot = await issue({ cn: 'Expired Root', ca: true, notBefore: days(-90), notAfter: days(-1) })
    const leaf = await issue({ cn: 'Leaf under expired root', issuer: oldRoot })
    const trust = await TrustStore.from({ pem: oldRoot.pem })
    await expectRule(leaf, [leaf, oldRoot], 'certificate.validity', trust, /Expired Root/)
    await expectRule(leaf, [leaf], 'certificate.validity', trust, /Expired Root/)
  })

  it('an unknown critical extension on an intermediate → certificate.critical-extension', async () => {
    const mid = await issue({ cn: 'Critical mid', issuer: root, ca: true, unknownCritical: true })
    const leaf = await issue({ cn: 'Leaf under critical mid', issuer: mid })
    await expectRule(leaf, [leaf, mid], 'certificate.critical-extension')
  })

  it('a link whose signature is forged (right names, wrong key) → certificate.signature', async () => {
    const impostor = (await issue({ cn: 'Impostor', ca: true })).keys
    const leaf = await issue({ cn: 'Forged leaf', issuer: inter, signWith: impostor })
    await expectRule(leaf, [leaf, inter], 'certificate.signature', store, /certificate 0 is not signed by certificate 1/)
  })

  it('issuer names that do not chain (signed by the right key) → certificate.name-chaining', async () => {
    // AKI points at the intermediate's key and the intermediate signed it, but the issuer DN is another name.
    const leaf = await issue({ cn: 'Misnamed leaf', issuer: inter, issuerName: 'Somebody Else CA' })
    await expectRule(leaf, [leaf, inter], 'certificate.name-chaining')
  })

  it('name constraints of an issuer (RFC 5280 4.2.1.10) → certificate.name-constraints', async () => {
    const constrained = await issue({ cn: 'Constrained CA', issuer: root, ca: true, extraExtensions: [await permittedOrganisation('Allowed Org')] })
    const inside = await issue({ cn: 'Inside', subject: 'O=Allowed Org, CN=Inside', issuer: constrained })
    const outside = await issue({ cn: 'Outside', subject: 'O=Other Org, CN=Outside', issuer: constrained })
    expect((await verifyLabelSignature(await labelFor(inside, [inside, constrained]), { trust: store })).trusted).toBe(true)
    await expectRule(outside, [outside, constrained], 'certificate.name-constraints', store, /name constraints/)
  })

  it('Ed25519 certificates (which PKI.js\'s engine cannot verify) chain too, and a forged Ed25519 link does not', async () => {
    const edRoot = await issue({ cn: 'Ed Root', ca: true, ed25519: true })
    const edLeaf = await issue({ cn: 'Ed leaf', issuer: edRoot, ed25519: true })
    const trust = await TrustStore.from({ pem: edRoot.pem })
    expect(await verifyLabelSignature(await labelFor(edLeaf, [edLeaf]), { trust })).toMatchObject({ valid: true, trusted: true, signer: { anchor: 'CN=Ed Root' } })
    const impostor = (await issue({ cn: 'Ed Impostor', ca: true, ed25519: true })).keys
    const forged = await issue({ cn: 'Forged Ed leaf', issuer: edRoot, signWith: impostor, ed25519: true })
    await expectRule(forged, [forged, edRoot], 'certificate.signature', trust)
    // The profile applies to Ed25519 leaves as to any other.
    const tls = await issue({ cn: 'Ed TLS leaf', issuer: edRoot, ed25519: true, eku: [OID.serverAuth] })
    await expectRule(tls, [tls], 'certificate.leaf-eku', trust)
    // A sound Ed25519 chain to an anchor the verifier lacks is no-anchor, not a signature failure.
    const edMid = await issue({ cn: 'Ed Mid', issuer: edRoot, ca: true, ed25519: true })
    const deep = await issue({ cn: 'Ed deep leaf', issuer: edMid, ed25519: true })
    await expectRule(deep, [deep, edMid], 'certificate.no-anchor', await TrustStore.from({ pem: (await issue({ cn: 'Unrelated', ca: true })).pem }))
  })

  it('a chain that reaches no anchor → certificate.no-anchor', async () => {
    const otherRoot = await issue({ cn: 'Other Root', ca: true })
    const leaf = await issue({ cn: 'Leaf elsewhere', issuer: otherRoot })
    await expectRule(leaf, [leaf, otherRoot], 'certificate.no-anchor', store, /reaches no certificate/)
    await expectRule(leaf, [leaf], 'certificate.no-anchor', new TrustStore())
  })
})

describe('trusting the signer certificate itself (--trust signer.pem)', () => {
  it('still checks its dates', async () => {
    const leaf = await issue({ cn: 'Pinned expired', issuer: inter, notBefore: days(-30), notAfter: days(-1) })
    const trust = await TrustStore.from({ pem: leaf.pem })
    await expectRule(leaf, [leaf, inter], 'certificate.validity', trust, /expired on/)
    // The compact form (no x5c): the key is found through the pinned certificate, whose dates still count.
    const label = await labelFor(leaf, [leaf, inter])
    const { x5c: _x5c, ...sig } = label.sig
    const compact = await verifyLabelSignature({ ...label, sig }, { trust })
    expect(compact).toMatchObject({ valid: true, trusted: false, trustRule: 'certificate.validity' })
  })

  it('still checks its key usage and EKU', async () => {
    for (const [options, rule] of [
      [{ cn: 'Pinned KU', ku: KU.keyAgreement }, 'certificate.leaf-key-usage'],
      [{ cn: 'Pinned TLS', eku: [OID.serverAuth] }, 'certificate.leaf-eku'],
    ] as Array<[Parameters<typeof issue>[0], string]>) {
      const leaf = await issue({ ...options, issuer: inter })
      const trust = await TrustStore.from({ pem: leaf.pem })
      await expectRule(leaf, [leaf, inter], rule, trust)
      const label = await labelFor(leaf, [leaf])
      const { x5c: _x5c, ...sig } = label.sig
      expect(await verifyLabelSignature({ ...label, sig }, { trust })).toMatchObject({ trusted: false, trustRule: rule })
    }
  })

  it('trusts a sound pinned certificate, with and without x5c', async () => {
    const leaf = await issue({ cn: 'Pinned good', issuer: inter })
    const trust = await TrustStore.from({ pem: leaf.pem })
    const label = await labelFor(leaf, [leaf, inter])
    expect(await verifyLabelSignature(label, { trust })).toMatchObject({ trusted: true })
    const { x5c: _x5c, ...sig } = label.sig
    expect(await verifyLabelSignature({ ...label, sig }, { trust })).toMatchObject({ trusted: true })
  })
})

describe('the check date', () => {
  it('is now, not the label\'s own "created" claim', async () => {
    const oldRoot = await issue({ cn: 'Old Root', ca: true, notBefore: days(-60) })
    const leaf = await issue({ cn: 'Lapsed leaf', issuer: oldRoot, notBefore: days(-30), notAfter: days(-1) })
    const label = await signLabel(sampleUnsigned({ created: days(-10).toISOString().replace(/\.\d{3}Z$/, 'Z') }), await signerFor(leaf, [leaf]))
    const trust = await TrustStore.from({ pem: oldRoot.pem })
    const result = await verifyLabelSignature(label, { trust })
    expect(result).toMatchObject({ valid: true, trusted: false, trustRule: 'certificate.validity' })
    // An explicit date is still honoured (a caller that knows when the label was made, e.g. from its own log).
    expect(await verifyLabelSignature(label, { trust, date: days(-10) })).toMatchObject({ trusted: true })
  })

  it('a path validated once is checked anew when the date leaves its validity', async () => {
    const leaf = await issue({ cn: 'Cached leaf', issuer: inter, notBefore: days(-1), notAfter: days(5) })
    const chain = x5c([leaf, inter])
    expect(await store.checkChain(chain, new Date())).toMatchObject({ trusted: true })
    expect(await store.checkChain(chain, days(10))).toMatchObject({ trusted: false, rule: 'certificate.validity' })
    expect(await store.checkChain(chain, new Date())).toMatchObject({ trusted: true })
  })
})

describe('in the verification report', () => {
  it('names the rule, and --require-trusted (requireTrusted) makes it fatal', async () => {
    const { stampWith, verifyWith, utf8 } = await import('../src/index.js')
    const { createTrailerAdapter, trailerFormat } = await import('./trailer-adapter.js')
    const adapter = createTrailerAdapter()
    const leaf = await issue({ cn: 'TLS-only signer', issuer: inter, eku: [OID.serverAuth] })
    const { bytes } = await stampWith(adapter, utf8('TRL1 content'), trailerFormat, { system: { name: 'Demo' }, owner: { name: 'Acme' }, signer: await signerFor(leaf, [leaf, inter]) })
    const lax = await verifyWith(adapter, bytes, trailerFormat, { trust: store })
    expect(lax).toMatchObject({ status: 'valid', signature: { valid: true, trusted: false, trust: 'untrusted', trustRule: 'certificate.leaf-eku' } })
    const strict = await verifyWith(adapter, bytes, trailerFormat, { trust: store, requireTrusted: true })
    expect(strict.status).toBe('invalid')
    expect(strict.messages).toContainEqual(expect.objectContaining({ rule: 'signature.untrusted', fatal: true, reason: expect.stringContaining('[certificate.leaf-eku]') }))
  })
})
