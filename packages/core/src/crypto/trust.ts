// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata polyfill.
import 'reflect-metadata'
import * as x509 from '@peculiar/x509'
import { equalBytes, fromBase64Url } from '../bytes.js'
import { InvalidKeyError } from '../errors.js'
import { parsePemBlocks, rawKeyFromJwk, compressP256, type PublicJwk } from './keys.js'
import { keyThumbprint, rawPublicKeyFromSpki } from './signer.js'

interface TrustedKey {
  raw: Uint8Array
  kid: string
  /** Where the key came from, for reports ("jwks", "pem", a JWK's own kid). */
  source: string
}

export interface TrustSources {
  /** PEM text holding any mix of CERTIFICATE (trust anchors) and PUBLIC KEY blocks. */
  pem?: string | string[]
  /** A JWKS document ({"keys": [...]}) or a single JWK, as object or JSON text. */
  jwks?: unknown
  /** Raw public keys. */
  keys?: Uint8Array[]
}

export interface ChainCheck {
  /** Leaf signature chain verifies up to a certificate in the trust store. */
  trusted: boolean
  subject?: string
  issuer?: string
  anchor?: string
  notAfter?: string
  /** Why the chain is not trusted, when it is not. */
  problem?: string
  /** The leaf's raw public key (compressed for P-256). */
  leafKey?: Uint8Array
}

/**
 * Public keys and X.509 roots that a verifier trusts. Empty by default:
 * without a trust store every valid signature reports "untrusted".
 */
export class TrustStore {
  readonly #keys: TrustedKey[] = []
  readonly #anchors: x509.X509Certificate[] = []

  static async from(sources: TrustSources = {}): Promise<TrustStore> {
    const store = new TrustStore()
    for (const pem of [sources.pem ?? []].flat()) await store.addPem(pem)
    if (sources.jwks !== undefined) await store.addJwks(sources.jwks)
    for (const key of sources.keys ?? []) await store.addRawKey(key, 'raw')
    return store
  }

  get size(): number {
    return this.#keys.length + this.#anchors.length
  }

  /** The trust anchors as PEM text (empty when there are none), e.g. for a C2PA validator. */
  certificatesPem(): string {
    return this.#anchors.map((c) => c.toString('pem') + '\n').join('')
  }

  async addPem(text: string): Promise<void> {
    x509.cryptoProvider.set(crypto)
    const blocks = parsePemBlocks(text)
    if (blocks.length === 0) throw new InvalidKeyError('Expected PEM text with CERTIFICATE or PUBLIC KEY blocks but found no PEM block')
    for (const block of blocks) {
      if (block.label === 'CERTIFICATE') {
        try {
          this.#anchors.push(new x509.X509Certificate(block.der as Uint8Array<ArrayBuffer>))
        } catch (cause) {
          throw new InvalidKeyError('A CERTIFICATE block in the trust store could not be parsed as X.509', { cause })
        }
      } else if (block.label === 'PUBLIC KEY') {
        await this.addRawKey(await rawPublicKeyFromSpki(block.der), 'pem')
      } else if (block.label.includes('PRIVATE KEY')) {
        throw new InvalidKeyError('Expected certificates or public keys in the trust store but found a private key; pass only public material')
      } else {
        throw new InvalidKeyError(`Expected CERTIFICATE or PUBLIC KEY blocks in the trust store but found "${block.label}"`)
      }
    }
  }

  async addJwks(value: unknown): Promise<void> {
    let doc = value
    if (typeof doc === 'string') {
      try {
        doc = JSON.parse(doc)
      } catch (cause) {
        throw new InvalidKeyError('Expected a JWKS as JSON text but it does not parse', { cause })
      }
    }
    const keys = (doc as { keys?: unknown }).keys ?? [doc]
    if (!Array.isArray(keys)) throw new InvalidKeyError('Expected a JWKS object with a "keys" array')
    for (const jwk of keys as PublicJwk[]) {
      if ((jwk as { d?: string }).d) throw new InvalidKeyError('Expected public JWKs in the trust store but found a private key ("d")')
      await this.addRawKey(rawKeyFromJwk(jwk), jwk.kid ?? 'jwks')
    }
  }

  async addRawKey(raw: Uint8Array, source: string): Promise<void> {
    const key = raw.length === 65 ? compressP256(raw) : raw
    this.#keys.push({ raw: key, kid: await keyThumbprint(key), source })
  }

  /** The trusted key matching this raw public key, if any. */
  findKey(raw: Uint8Array): TrustedKey | undefined {
    const key = raw.length === 65 ? compressP256(raw) : raw
    return this.#keys.find((k) => equalBytes(k.raw, key))
  }

  /** Checks an x5c chain (base64 DER, leaf first) against the anchors at `date`. */
  async checkChain(x5c: readonly string[], date = new Date()): Promise<ChainCheck> {
    x509.cryptoProvider.set(crypto)
    let certs: x509.X509Certificate[]
    try {
      certs = x5c.map((c) => new x509.X509Certificate(fromBase64Url(c) as Uint8Array<ArrayBuffer>))
    } catch {
      return { trusted: false, problem: 'the certificate chain cannot be parsed' }
    }
    const leaf = certs[0]
    if (!leaf) return { trusted: false, problem: 'the certificate chain is empty' }
    const info: ChainCheck = {
      trusted: false,
      subject: leaf.subject,
      issuer: leaf.issuer,
      notAfter: leaf.notAfter.toISOString(),
      leafKey: await rawPublicKeyFromSpki(new Uint8Array(leaf.publicKey.rawData)).catch(() => undefined),
    }
    if (date < leaf.notBefore || date > leaf.notAfter) return { ...info, problem: `the signing certificate is not valid at ${date.toISOString()}` }
    // Walk up: each certificate must be signed by the next, or by an anchor.
    for (let i = 0; i < certs.length; i++) {
      const cert = certs[i]!
      const anchor = await this.#anchorFor(cert, date)
      if (anchor) return { ...info, trusted: true, anchor: anchor.subject }
      const parent = certs[i + 1]
      if (!parent) break
      const ok = await cert.verify({ publicKey: parent.publicKey, date, signatureOnly: false }).catch(() => false)
      if (!ok) return { ...info, problem: `certificate ${i} is not signed by certificate ${i + 1} of the chain` }
    }
    return { ...info, problem: 'the chain reaches no certificate in the trust store' }
  }

  async #anchorFor(cert: x509.X509Certificate, date: Date): Promise<x509.X509Certificate | undefined> {
    for (const anchor of this.#anchors) {
      if (equalBytes(new Uint8Array(anchor.rawData), new Uint8Array(cert.rawData))) return anchor
      if (anchor.subject !== cert.issuer) continue
      if (date < anchor.notBefore || date > anchor.notAfter) continue
      if (await cert.verify({ publicKey: anchor.publicKey, date, signatureOnly: true }).catch(() => false)) return anchor
    }
    return undefined
  }
}
