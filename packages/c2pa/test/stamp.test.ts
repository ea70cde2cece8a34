// The one C2PA path: the caller's policy, the same rule ids, what happens to an existing manifest,
// and keygen certificates that sign clean manifests in every format.
import { spawnSync } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPemSigner, createStampContext, generateSigningCredentials, isTanbaError, signLabel, type Label, type Signer } from '@tanba/core'
import { createTestCredentials, type TestCredentials } from '@tanba/core/testing'
import { C2PA_RULES, close, extractC2pa, hasOrganisation, readC2pa, stampC2pa, type C2paSummary } from '../src/index.js'
import { corpusCopy, makeTmp } from './helpers.js'

const FIXTURES = join(import.meta.dirname, '../../../fixtures/c2pa')
const fixture = async (name: string) => new Uint8Array(await readFile(join(FIXTURES, name)))
const hasOpenssl = spawnSync('openssl', ['version']).status === 0

let tmp: string
let creds: TestCredentials
let label: Label

beforeAll(async () => {
  tmp = await makeTmp('stamp')
  creds = await createTestCredentials()
  label = await signLabel(
    {
      tanba: 1,
      id: '0193a1c2-7b4e-7c1d-8f00-1234567890ab',
      created: '2026-12-01T00:00:00Z',
      origin: 'generated',
      system: { name: 'Acme Image Studio' },
      owner: { name: 'Acme LLP' },
      profiles: ['kz'],
      binding: { method: 'tanba.image.pixels/1', alg: 'sha-256', digest: 'n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg' },
    },
    creds.signer,
  )
})
afterAll(() => close())

const integrity = (s: C2paSummary) => s.validationStatus.filter((e) => e.active && !/^signingCredential\.untrusted$/.test(e.code)).map((e) => e.code)
const rules = (r: { messages: { rule: string }[] }) => r.messages.map((m) => m.rule)

// Every format c2pa-node signs, as the C2PA fresh-output matrix of issue 13 names them (and the rest).
const SAMPLES: Array<[string, string]> = [
  ['no_manifest.jpg', 'image/jpeg'],
  ['sample1.png', 'image/png'],
  ['sample1.webp', 'image/webp'],
  ['sample1.gif', 'image/gif'],
  ['sample1.svg', 'image/svg+xml'],
  ['sample1.mp3', 'audio/mpeg'],
  ['sample1.wav', 'audio/wav'],
  ['sample1.flac', 'audio/flac'],
  ['sample1.m4a', 'audio/mp4'],
]

describe('keygen certificates sign clean C2PA manifests', () => {
  // Without --org the leaf used to have no O=, and c2pa-rs reads every manifest it signs as claimSignature.mismatch.
  for (const organization of [undefined, 'Acme LLP']) {
    for (const [file, mediaType] of SAMPLES) {
      it(`${organization ? 'with' : 'without'} an organisation: ${file} validates trusted with no failure code`, async () => {
        const keys = await generateSigningCredentials(organization ? { organization } : {})
        const signer = await createPemSigner({ privateKey: keys.privateKeyPem, certificateChain: keys.chainPem })
        expect(hasOrganisation(signer.certificates![0]!)).toBe(true)
        expect(keys.subject).toMatch(/O=/)
        const out = await stampC2pa(await corpusCopy(tmp, `media/${file}`), mediaType, { policy: 'required', signer, label })
        const summary = (await readC2pa(out.bytes!, mediaType, { trustAnchors: keys.caCertificatePem }))!
        expect(summary.validationStatus.map((e) => e.code)).toEqual([])
        expect(summary.validationState).toBe('trusted')
      })
    }
  }
})

describe.skipIf(!hasOpenssl)('a signing certificate without an organisation', () => {
  let signer: Signer
  beforeAll(async () => {
    const dir = await makeTmp('noorg')
    const key = join(dir, 'k.pem')
    const cert = join(dir, 'c.pem')
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-subj', '/CN=No organisation', '-days', '30'])
    expect(made.status).toBe(0)
    signer = await createPemSigner({ privateKey: await readFile(key, 'utf8'), certificateChain: await readFile(cert, 'utf8') })
  })
  it('preferred: no C2PA, one c2pa.signer-unsuitable message naming --org and --no-c2pa', async () => {
    const result = await stampC2pa(await corpusCopy(tmp, 'media/no_manifest.jpg'), 'image/jpeg', { policy: 'preferred', signer, label })
    expect(result.bytes).toBeNull()
    expect(rules(result)).toEqual(['c2pa.signer-unsuitable'])
    expect(result.messages[0]!.reason).toMatch(/--org/)
    expect(result.messages[0]!.reason).toMatch(/--no-c2pa/)
  })
  it('required: InvalidKeyError with details.rule', async () => {
    const error = await stampC2pa(await corpusCopy(tmp, 'media/no_manifest.jpg'), 'image/jpeg', { policy: 'required', signer, label }).catch((e: unknown) => e)
    expect(isTanbaError(error) && error.code).toBe('TANBA_INVALID_KEY')
    expect(isTanbaError(error) && error.details?.rule).toBe('c2pa.signer-unsuitable')
  })
})

describe('the failure policy and its rule ids', () => {
  it('a format without C2PA: c2pa.unsupported-format, or UnsupportedFormatError when required', async () => {
    const preferred = await stampC2pa(new Uint8Array([0x4f, 0x67, 0x67, 0x53]), 'audio/ogg', { policy: 'preferred', signer: creds.signer, label })
    expect(preferred.bytes).toBeNull()
    expect(rules(preferred)).toEqual(['c2pa.unsupported-format'])
    expect(preferred.messages[0]!.reason).toMatch(/--no-c2pa/)
    await expect(stampC2pa(new Uint8Array(4), 'audio/ogg', { policy: 'required', signer: creds.signer, label })).rejects.toMatchObject({ code: 'TANBA_UNSUPPORTED_FORMAT', details: { rule: 'c2pa.unsupported-format' } })
  })
  it('every rule id the path reports is in C2PA_RULES', () => {
    for (const rule of ['c2pa.unavailable', 'c2pa.unsupported-format', 'c2pa.signer-unsuitable', 'c2pa.failed', 'c2pa.parent-unreadable', 'c2pa.parent-kept', 'c2pa.parent-invalid', 'c2pa.parent-dropped', 'c2pa.stale', 'c2pa.remote-manifest', 'c2pa.unreadable']) {
      expect(C2PA_RULES.has(rule), rule).toBe(true)
    }
  })
})

describe('an existing manifest the reader cannot read (unknown algorithm, from c2pa-rs)', () => {
  it('preferred: the stamp goes on without C2PA and says c2pa.parent-unreadable, naming both flags', async () => {
    const result = await stampC2pa(await fixture('no_alg.jpg'), 'image/jpeg', { policy: 'preferred', signer: creds.signer, label })
    expect(result.bytes).toBeNull()
    expect(rules(result)).toEqual(['c2pa.parent-unreadable'])
    expect(result.messages[0]!.reason).toMatch(/unknown algorithm/)
    expect(result.messages[0]!.reason).toMatch(/--no-c2pa/)
    expect(result.messages[0]!.reason).toMatch(/--c2pa-drop-broken-parent/)
  })
  it('required: MalformedInputError with details.rule c2pa.parent-unreadable', async () => {
    await expect(stampC2pa(await fixture('no_alg.jpg'), 'image/jpeg', { policy: 'required', signer: creds.signer, label })).rejects.toMatchObject({
      code: 'TANBA_MALFORMED_INPUT',
      details: { rule: 'c2pa.parent-unreadable', option: 'c2pa' },
    })
  })
  it('brokenParent "drop": a fresh, valid manifest whose action records the drop', async () => {
    const result = await stampC2pa(await fixture('no_alg.jpg'), 'image/jpeg', { policy: 'required', signer: creds.signer, label, brokenParent: 'drop' })
    expect(rules(result)).toEqual(['c2pa.parent-dropped'])
    const summary = (await readC2pa(result.bytes!, 'image/jpeg', { trustAnchors: creds.caPem }))!
    expect(integrity(summary)).toEqual([])
    expect(summary.ingredients).toEqual([])
    expect(summary.actions[0]!.description).toMatch(/dropped the input's C2PA manifest: it cannot be read/)
  })
})

describe('an existing manifest that is invalid (claimSignature.mismatch, from c2pa-rs)', () => {
  it('keep (default): signed, and c2pa.parent-invalid says the history now validates invalid', async () => {
    const result = await stampC2pa(await fixture('E-sig-CA.jpg'), 'image/jpeg', { policy: 'required', signer: creds.signer, label })
    expect(rules(result)).toEqual(['c2pa.parent-invalid'])
    expect(result.messages[0]!.reason).toMatch(/claimSignature\.mismatch/)
    expect(result.messages[0]!.reason).toMatch(/--c2pa-drop-broken-parent/)
    const summary = (await readC2pa(result.bytes!, 'image/jpeg', { trustAnchors: creds.caPem }))!
    expect(summary.ingredients).toHaveLength(1)
    // What the message warns of: a validator judges the new manifest invalid through its parent.
    expect(summary.validationState).toBe('invalid')
  })
  it('drop: no parent ingredient, the new manifest validates trusted, the drop is recorded', async () => {
    const result = await stampC2pa(await fixture('E-sig-CA.jpg'), 'image/jpeg', { policy: 'required', signer: creds.signer, label, brokenParent: 'drop' })
    expect(rules(result)).toEqual(['c2pa.parent-dropped'])
    const summary = (await readC2pa(result.bytes!, 'image/jpeg', { trustAnchors: creds.caPem }))!
    expect(summary.validationStatus.map((e) => e.code)).toEqual([])
    expect(summary.validationState).toBe('trusted')
    expect(summary.ingredients).toEqual([])
    expect(summary.actions[0]!.description).toMatch(/it is invalid \(.*claimSignature\.mismatch/)
  })
  it('a valid parent is kept and reported as c2pa.parent-kept', async () => {
    const result = await stampC2pa(await corpusCopy(tmp, 'third-party-labelled/C.jpg'), 'image/jpeg', { policy: 'required', signer: creds.signer, label })
    expect(rules(result)).toEqual(['c2pa.parent-kept'])
  })
})

describe('a remote manifest reference (XMP dcterms:provenance, no embedded store; from c2pa-rs)', () => {
  const options = { limits: {} as never, c2pa: true, adapterOptions: {} }
  it('reading: a C2PA marker whose manifest was not fetched, and c2pa.remote-manifest', async () => {
    const found = await extractC2pa(await fixture('libpng-test_with_url.png'), 'image/png', options, { carrier: 'xmp:dcterms:provenance' })
    expect(found.markers).toHaveLength(1)
    expect(found.markers[0]).toMatchObject({ standard: 'c2pa', valid: null, value: { remoteManifest: 'http://localhost:5000/libpng-test.c2pa', fetched: false } })
    expect(rules(found)).toEqual(['c2pa.remote-manifest'])
  })
  it('stamping: c2pa.parent-unreadable under preferred; drop signs a fresh manifest', async () => {
    const input = await fixture('libpng-test_with_url.png')
    const preferred = await stampC2pa(input, 'image/png', { policy: 'preferred', signer: creds.signer, label })
    expect(rules(preferred)).toEqual(['c2pa.parent-unreadable'])
    const dropped = await stampC2pa(input, 'image/png', { policy: 'required', signer: creds.signer, label, brokenParent: 'drop' })
    expect(rules(dropped)).toEqual(['c2pa.parent-dropped'])
    const summary = (await readC2pa(dropped.bytes!, 'image/png', { trustAnchors: creds.caPem }))!
    expect(summary.validationState).toBe('trusted')
  })
})

describe('the same trust rules as the Tanba label', () => {
  it('trusting the signing certificate itself (--trust signer.pem, leaf only) trusts its C2PA manifest, as it trusts the label', async () => {
    const signed = await stampC2pa(await corpusCopy(tmp, 'media/no_manifest.jpg'), 'image/jpeg', { policy: 'required', signer: creds.signer, label })
    const leafOnly = creds.chainPem.split(/(?<=-----END CERTIFICATE-----)/)[0]!.trim() + '\n'
    const summary = (await readC2pa(signed.bytes!, 'image/jpeg', { trustAnchors: leafOnly }))!
    expect(summary.validationState).toBe('trusted')
    const stranger = await generateSigningCredentials({ organization: 'Someone else' })
    expect((await readC2pa(signed.bytes!, 'image/jpeg', { trustAnchors: stranger.caCertificatePem }))!.trusted).toBe(false)
  })

  it('an expired certificate (no trusted time-stamp: judged now) is c2pa.signer-unsuitable, thrown under required', async () => {
    const old = await generateSigningCredentials({ organization: 'Old LLP', notBefore: new Date(Date.now() - 10 * 86400_000), validityDays: 2 })
    const signer = await createPemSigner({ privateKey: old.privateKeyPem, certificateChain: old.chainPem })
    const input = await corpusCopy(tmp, 'media/no_manifest.jpg')
    const preferred = await stampC2pa(input, 'image/jpeg', { policy: 'preferred', signer, label })
    expect(rules(preferred)).toEqual(['c2pa.signer-unsuitable'])
    expect(preferred.messages[0]!.reason).toMatch(/not valid now/)
    await expect(stampC2pa(input, 'image/jpeg', { policy: 'required', signer, label })).rejects.toMatchObject({ code: 'TANBA_INVALID_KEY', details: { rule: 'c2pa.signer-unsuitable' } })
  })

  it("a third party's manifest signed with an expired certificate reads signingCredential.expired (Adobe Express PDF)", async () => {
    const summary = (await readC2pa(await corpusCopy(tmp, 'third-party-labelled/express-signed.pdf'), 'application/pdf'))!
    expect(summary.validationStatus.map((e) => e.code)).toContain('signingCredential.expired')
    expect(summary.trusted).toBe(false)
  })
})

describe('the SDK option', () => {
  it("c2pa: true and 'preferred' mean preferred, 'required' required, false off; anything else is refused", () => {
    const format = { id: 'jpeg', kind: 'image', mediaTypes: ['image/jpeg'], extensions: ['jpg'], supported: true } as const
    const base = { signer: creds.signer, system: { name: 'Gen' }, owner: { name: 'Owner' } }
    const ctx = (c2pa: unknown) => createStampContext(format, { ...base, c2pa } as never)
    expect([ctx(undefined), ctx(true), ctx('preferred'), ctx('required'), ctx(false)].map((c) => [c.c2pa, c.c2paPolicy])).toEqual([
      [true, 'preferred'],
      [true, 'preferred'],
      [true, 'preferred'],
      [true, 'required'],
      [false, 'preferred'],
    ])
    expect(() => ctx('always')).toThrow(/true, false, "required" or "preferred"/)
  })
})
