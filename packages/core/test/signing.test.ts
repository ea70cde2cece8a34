import { createSign, generateKeyPairSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  createCallbackSigner,
  createPemSigner,
  InvalidKeyError,
  signingInput,
  signLabel,
  verifyLabelSignature,
  type Label,
} from '../src/index.js'
import { createTestCredentials } from '../src/testing.js'
import { ed25519Signer, sampleUnsigned } from './helpers.js'

describe('label signatures', () => {
  it('round-trips ES256 with a certificate chain', async () => {
    const creds = await createTestCredentials()
    const label = await signLabel(sampleUnsigned(), creds.signer)
    expect(label.sig.alg).toBe('ES256')
    expect(label.sig.x5c).toHaveLength(2)
    expect(label.sig.kid).toBeUndefined() // default kid is derived from the key, not stored
    const result = await verifyLabelSignature(label, { trust: creds.trust })
    expect(result).toMatchObject({ valid: true, trusted: true, trust: 'trusted' })
    expect(result.signer?.subject).toContain('Tanba test signer')
    expect(result.signer?.kid).toMatch(/^[A-Za-z0-9_-]{16}$/)
  })

  it('round-trips Ed25519 without a certificate', async () => {
    const { signer } = await ed25519Signer()
    const label = await signLabel(sampleUnsigned(), signer)
    expect(label.sig.alg).toBe('Ed25519')
    expect(await verifyLabelSignature(label)).toMatchObject({ valid: true, trusted: false, trust: 'untrusted' })
  })

  it('makes signatures (in OpenSSL, synchronously, in Node) that Web Crypto verifies, for both algorithms', async () => {
    const data = new TextEncoder().encode('Жасанды интеллект жасаған')
    for (const type of ['ec', 'ed25519'] as const) {
      const { privateKey, publicKey } = type === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519')
      const signer = await createPemSigner({ privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string })
      const signature = (await signer.sign(data)) as Uint8Array<ArrayBuffer>
      expect(signature).toHaveLength(64)
      const params = type === 'ec' ? { name: 'ECDSA', namedCurve: 'P-256' } : { name: 'Ed25519' }
      const key = await crypto.subtle.importKey('spki', publicKey.export({ type: 'spki', format: 'der' }), params, false, ['verify'])
      const verifyParams = type === 'ec' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'Ed25519' }
      expect(await crypto.subtle.verify(verifyParams, key, signature, data)).toBe(true)
      expect(await crypto.subtle.verify(verifyParams, key, signature, data.subarray(1))).toBe(false)
    }
  })

  it('signs through a KMS-style callback that returns DER signatures', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const signer = await createCallbackSigner({
      alg: 'ES256',
      publicKey: publicKey.export({ type: 'spki', format: 'pem' }) as string,
      kid: 'kms-key-1',
      sign: async (data) => new Uint8Array(createSign('SHA256').update(data).sign(privateKey)), // DER
    })
    const label = await signLabel(sampleUnsigned(), signer)
    expect(label.sig.kid).toBe('kms-key-1')
    expect(await verifyLabelSignature(label)).toMatchObject({ valid: true })
  })

  it('rejects a PEM that is not a PKCS#8 private key, saying what it found', async () => {
    const creds = await createTestCredentials()
    await expect(createPemSigner({ privateKey: creds.chainPem })).rejects.toThrow(/Expected a PKCS#8 private key .* found CERTIFICATE/)
    await expect(createPemSigner({ privateKey: 'nonsense' })).rejects.toBeInstanceOf(InvalidKeyError)
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 })
    await expect(createPemSigner({ privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string })).rejects.toThrow(/Ed25519 or P-256/)
  })

  it('signs alg, kid and pub but not x5c', () => {
    const input = new TextDecoder().decode(signingInput({ ...sampleUnsigned(), sig: { alg: 'ES256', kid: 'k', pub: 'p', x5c: ['abc'], value: 'v' } }))
    expect(input).toContain('"sig":{"alg":"ES256","kid":"k","pub":"p"}')
    expect(input).not.toContain('abc')
  })
})

describe('tamper detection', () => {
  // Every leaf field of the label, changed in turn, must break the signature.
  const edits: Array<[string, (l: Label) => void]> = [
    ['tanba', (l) => ((l as { tanba: number }).tanba = 2)],
    ['id', (l) => (l.id = l.id.replace(/^./, l.id[0] === 'a' ? 'b' : 'a'))],
    ['created', (l) => (l.created = '2020-01-01T00:00:00Z')],
    ['origin', (l) => (l.origin = 'modified')],
    ['system.name', (l) => (l.system.name += 'x')],
    ['system.version', (l) => (l.system.version = '9')],
    ['system.model', (l) => delete l.system.model],
    ['owner.name', (l) => (l.owner.name = 'Evil LLP')],
    ['owner.id', (l) => (l.owner.id = '000000000000')],
    ['owner.country', (l) => (l.owner.country = 'UZ')],
    ['owner.contact', (l) => (l.owner.contact = 'x@y.z')],
    ['distributor', (l) => (l.distributor = { name: 'Added' })],
    ['prompt', (l) => (l.prompt = { text: 'added' })],
    ['notice.langs', (l) => l.notice!.langs.push('en')],
    ['notice.method', (l) => (l.notice!.method = 'none')],
    ['profiles', (l) => l.profiles.push('cn')],
    ['binding.method', (l) => (l.binding.method = 'tanba.other/1')],
    ['binding.digest', (l) => (l.binding.digest = l.binding.digest.replace(/^./, 'Z'))],
    ['binding.extent', (l) => (l.binding.extent = 5)],
    ['sig.alg', (l) => (l.sig.alg = 'Ed25519')],
    ['sig.kid', (l) => (l.sig.kid = 'other')],
    ['sig.value', (l) => (l.sig.value = l.sig.value.replace(/^./, l.sig.value[0] === 'A' ? 'B' : 'A'))],
  ]

  it.each(edits)('changing %s makes the signature invalid', async (_name, edit) => {
    const creds = await createTestCredentials()
    const label = await signLabel(sampleUnsigned(), creds.signer)
    expect((await verifyLabelSignature(label, { trust: creds.trust })).valid).toBe(true)
    const tampered = structuredClone(label)
    edit(tampered)
    const result = await verifyLabelSignature(tampered, { trust: creds.trust })
    expect(result).toMatchObject({ valid: false, trusted: false, trust: 'invalid' })
  })

  it('rejects a swapped public key and a chain whose leaf does not match sig.pub', async () => {
    const a = await createTestCredentials()
    const b = await createTestCredentials()
    const label = await signLabel(sampleUnsigned(), a.signer)
    const other = await signLabel(sampleUnsigned(), b.signer)
    const swappedPub = { ...label, sig: { ...label.sig, pub: other.sig.pub!, x5c: undefined } }
    delete swappedPub.sig.x5c
    expect((await verifyLabelSignature(swappedPub)).valid).toBe(false)
    const swappedChain = { ...label, sig: { ...label.sig, x5c: other.sig.x5c! } }
    expect(await verifyLabelSignature(swappedChain, { trust: b.trust })).toMatchObject({ valid: false, trusted: false })
  })
})
