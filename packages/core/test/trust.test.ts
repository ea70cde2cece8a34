import { describe, expect, it } from 'vitest'
import { createPemSigner, generateSigningCredentials, InvalidKeyError, signLabel, toPem, TrustStore, verifyLabelSignature, fromBase64Url, toBase64Url, compressP256 } from '../src/index.js'
import { createTestCredentials } from '../src/testing.js'
import { ed25519Signer, sampleUnsigned } from './helpers.js'

describe('trust store', () => {
  it('distinguishes trusted, untrusted and invalid', async () => {
    const creds = await createTestCredentials()
    const label = await signLabel(sampleUnsigned(), creds.signer)
    expect((await verifyLabelSignature(label, { trust: creds.trust })).trust).toBe('trusted')
    expect((await verifyLabelSignature(label, { trust: new TrustStore() })).trust).toBe('untrusted')
    const broken = { ...label, owner: { ...label.owner, name: 'Someone else' } }
    expect((await verifyLabelSignature(broken, { trust: creds.trust })).trust).toBe('invalid')
  })

  it('does not trust a chain from another CA with the same names', async () => {
    const creds = await createTestCredentials()
    const other = await createTestCredentials() // same subject names, different keys
    const label = await signLabel(sampleUnsigned(), creds.signer)
    const result = await verifyLabelSignature(label, { trust: other.trust })
    expect(result).toMatchObject({ valid: true, trusted: false })
    expect(result.problem).toMatch(/reaches no certificate/)
  })

  it('trusts a bare public key from PEM and from a JWKS', async () => {
    const { signer, publicPem } = await ed25519Signer()
    const label = await signLabel(sampleUnsigned(), signer)
    expect((await verifyLabelSignature(label, { trust: await TrustStore.from({ pem: publicPem }) })).trusted).toBe(true)
    const jwks = { keys: [{ kty: 'OKP', crv: 'Ed25519', x: label.sig.pub }] }
    expect((await verifyLabelSignature(label, { trust: await TrustStore.from({ jwks: JSON.stringify(jwks) }) })).trusted).toBe(true)

    const creds = await createTestCredentials()
    const es = await signLabel(sampleUnsigned(), await createPemSigner({ privateKey: creds.keyPem }))
    const publicKey = await crypto.subtle.importKey('raw', decompress(fromBase64Url(es.sig.pub!)) as Uint8Array<ArrayBuffer>, { name: 'ECDSA', namedCurve: 'P-256' }, true, ['verify'])
    const jwk = await crypto.subtle.exportKey('jwk', publicKey)
    expect((await verifyLabelSignature(es, { trust: await TrustStore.from({ jwks: { keys: [jwk] } }) })).trusted).toBe(true)
  })

  it('reports a certificate that was not valid when the label was made', async () => {
    const old = await generateSigningCredentials({ notBefore: new Date('2020-01-01T00:00:00Z'), validityDays: 30 })
    const signer = await createPemSigner({ privateKey: old.privateKeyPem, certificateChain: old.chainPem })
    const label = await signLabel(sampleUnsigned(), signer)
    const result = await verifyLabelSignature(label, { trust: await TrustStore.from({ pem: old.caCertificatePem }) })
    expect(result).toMatchObject({ valid: true, trusted: false })
    expect(result.problem).toMatch(/not valid at/)
  })

  it('checks a chain it has seen before against each store and each date anew (the parsed chain is remembered)', async () => {
    const creds = await createTestCredentials()
    const other = await createTestCredentials()
    const label = await signLabel(sampleUnsigned(), creds.signer)
    const x5c = label.sig.x5c!
    for (let round = 0; round < 2; round++) {
      expect(await creds.trust.checkChain(x5c, new Date())).toMatchObject({ trusted: true })
      expect(await other.trust.checkChain(x5c, new Date())).toMatchObject({ trusted: false, problem: expect.stringMatching(/reaches no certificate/) })
      expect(await creds.trust.checkChain(x5c, new Date('2001-01-01T00:00:00Z'))).toMatchObject({ trusted: false, problem: expect.stringMatching(/not valid at 2001/) })
    }
    // A chain whose leaf is not signed by the next certificate stays broken however often it is seen.
    const swapped = [x5c[0]!, ...(await signLabel(sampleUnsigned(), other.signer)).sig.x5c!.slice(1)]
    for (let round = 0; round < 2; round++) {
      expect(await other.trust.checkChain(swapped, new Date())).toMatchObject({ trusted: false, problem: 'certificate 0 is not signed by certificate 1 of the chain' })
    }
    expect(await creds.trust.checkChain(['AAAA'])).toEqual({ trusted: false, rule: 'certificate.unparseable', problem: 'the certificate chain cannot be parsed' })
  })

  it('refuses private keys and junk in the trust store with a clear error', async () => {
    const creds = await createTestCredentials()
    await expect(TrustStore.from({ pem: creds.keyPem })).rejects.toThrow(/found a private key/)
    await expect(TrustStore.from({ pem: 'hello' })).rejects.toBeInstanceOf(InvalidKeyError)
    await expect(TrustStore.from({ jwks: { keys: [{ kty: 'RSA', n: 'x', e: 'AQAB' }] } })).rejects.toThrow(/OKP\/Ed25519 or EC\/P-256/)
    await expect(TrustStore.from({ jwks: '{"keys":[{"kty":"OKP","crv":"Ed25519","x":"a","d":"b"}]}' })).rejects.toThrow(/private key/)
  })

  it('generates a C2PA-shaped leaf: not a CA, digitalSignature, EKU, AKI', async () => {
    const creds = await generateSigningCredentials({ commonName: 'Acme', organization: 'Acme LLP', country: 'KZ' })
    const x509 = await import('@peculiar/x509')
    const [leafPem] = creds.chainPem.split(/(?<=-----END CERTIFICATE-----\n)/)
    const leaf = new x509.X509Certificate(leafPem!)
    expect(leaf.subject).toBe('CN=Acme, O=Acme LLP, C=KZ')
    expect(leaf.getExtension(x509.BasicConstraintsExtension)?.ca).toBe(false)
    expect(leaf.getExtension(x509.KeyUsagesExtension)?.usages).toBe(x509.KeyUsageFlags.digitalSignature)
    expect(leaf.getExtension(x509.ExtendedKeyUsageExtension)?.usages).toContain('1.3.6.1.5.5.7.3.4')
    expect(leaf.getExtension(x509.AuthorityKeyIdentifierExtension)).toBeTruthy()
    expect(leaf.issuer).not.toBe(leaf.subject)
    expect(toPem('X', new Uint8Array([1]))).toContain('BEGIN X')
    expect(toBase64Url(compressP256(new Uint8Array([4, ...new Uint8Array(64)]))).length).toBe(44)
  })
})

// Decompress a P-256 point for Web Crypto's raw import (it wants 65 bytes in some runtimes).
function decompress(compressed: Uint8Array): Uint8Array {
  const p = 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n
  const b = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn
  const x = BigInt('0x' + Buffer.from(compressed.subarray(1)).toString('hex'))
  const pow = (base: bigint, exp: bigint): bigint => {
    let r = 1n
    base %= p
    while (exp > 0n) {
      if (exp & 1n) r = (r * base) % p
      base = (base * base) % p
      exp >>= 1n
    }
    return r
  }
  const y2 = (x ** 3n - 3n * x + b) % p
  let y = pow((y2 + p) % p, (p + 1n) / 4n)
  if ((y & 1n) !== BigInt(compressed[0]! & 1)) y = p - y
  const hex = (v: bigint) => v.toString(16).padStart(64, '0')
  return new Uint8Array(Buffer.from('04' + hex(x) + hex(y), 'hex'))
}

describe('trust anchors as PEM', () => {
  it('gives the anchors back as PEM for other validators', async () => {
    const creds = await createTestCredentials()
    const store = await TrustStore.from({ pem: creds.caPem })
    expect(store.certificatesPem().trim()).toBe(creds.caPem.trim())
    expect(new TrustStore().certificatesPem()).toBe('')
  })
})

describe('certificates pin their own key', () => {
  it('trusts a chainless label signed by the key of a trusted certificate', async () => {
    const creds = await createTestCredentials()
    const label = await signLabel(sampleUnsigned(), creds.signer)
    const { x5c: _x5c, ...sig } = label.sig
    const chainless = { ...label, sig }
    expect((await verifyLabelSignature(chainless, { trust: await TrustStore.from({ pem: creds.caPem }) })).trusted).toBe(false)
    expect((await verifyLabelSignature(chainless, { trust: await TrustStore.from({ pem: creds.chainPem }) })).trusted).toBe(true)
  })
})

describe('a key and a certificate that do not match', () => {
  it('are refused when the signer is made (PEM and callback signers), before anything is signed', async () => {
    const a = await createTestCredentials()
    const b = await createTestCredentials()
    await expect(createPemSigner({ privateKey: a.keyPem, certificateChain: b.chainPem })).rejects.toThrow(InvalidKeyError)
    await expect(createPemSigner({ privateKey: a.keyPem, certificateChain: b.chainPem })).rejects.toThrow(/--cert.*--key/)
    const { createCallbackSigner } = await import('../src/index.js')
    await expect(createCallbackSigner({ alg: 'ES256', publicKey: a.signer.publicKey, certificates: b.chainPem, sign: async () => new Uint8Array(64) })).rejects.toThrow(InvalidKeyError)
    // An Ed25519 key with a P-256 certificate is refused the same way.
    const { pem } = await ed25519Signer()
    await expect(createPemSigner({ privateKey: pem, certificateChain: a.chainPem })).rejects.toThrow(/another ES256 public key than the Ed25519 key/)
    // The matching pair is fine.
    expect((await createPemSigner({ privateKey: a.keyPem, certificateChain: a.chainPem })).certificates).toHaveLength(2)
  })

  it('loadPemSigner (SDK and CLI) refuses them too', async () => {
    const { mkdtemp, writeFile } = await import('node:fs/promises')
    const { tmpdir } = await import('node:os')
    const { join } = await import('node:path')
    const { loadPemSigner } = await import('../src/node.js')
    const a = await createTestCredentials()
    const b = await createTestCredentials()
    const dir = await mkdtemp(join(tmpdir(), 'tanba-mismatch-'))
    await writeFile(join(dir, 'a.key'), a.keyPem)
    await writeFile(join(dir, 'b.pem'), b.chainPem)
    await expect(loadPemSigner(join(dir, 'a.key'), join(dir, 'b.pem'))).rejects.toBeInstanceOf(InvalidKeyError)
  })
})
