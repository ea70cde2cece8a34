import type * as x509 from '@peculiar/x509'
import { equalBytes, fromBase64Url } from '../bytes.js'
import { InvalidKeyError } from '../errors.js'
import { parsePemBlocks, rawKeyFromJwk, compressP256, type PublicJwk } from './keys.js'
import { keyThumbprint, rawPublicKeyFromSpki } from './signer.js'
import { loadX509, type X509Module } from './x509.js'

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
  readonly #anchorSignatures = new WeakMap<x509.X509Certificate, Map<x509.X509Certificate, boolean>>()

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
    const blocks = parsePemBlocks(text)
    if (blocks.length === 0) throw new InvalidKeyError('Expected PEM text with CERTIFICATE or PUBLIC KEY blocks but found no PEM block')
    for (const block of blocks) {
      if (block.label === 'CERTIFICATE') {
        const X509 = await loadX509()
        X509.cryptoProvider.set(crypto)
        let cert: x509.X509Certificate
        try {
          cert = new X509.X509Certificate(block.der as Uint8Array<ArrayBuffer>)
        } catch (cause) {
          throw new InvalidKeyError('A CERTIFICATE block in the trust store could not be parsed as X.509', { cause })
        }
        this.#anchors.push(cert)
        // Trusting a certificate trusts its key too: compact labels (plain text) carry the key
        // but no chain, so a verifier that trusts signer.pem can still recognise them.
        const key = await rawPublicKeyFromSpki(new Uint8Array(cert.publicKey.rawData)).catch(() => undefined)
        if (key) await this.addRawKey(key, 'certificate')
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
    const X509 = await loadX509()
    X509.cryptoProvider.set(crypto)
    const parsed = await parseChain(X509, x5c)
    if (!parsed) return { trusted: false, problem: 'the certificate chain cannot be parsed' }
    const { certs, leafKey } = parsed
    const leaf = certs[0]
    if (!leaf) return { trusted: false, problem: 'the certificate chain is empty' }
    const info: ChainCheck = {
      trusted: false,
      subject: leaf.subject,
      issuer: leaf.issuer,
      notAfter: leaf.notAfter.toISOString(),
      leafKey,
    }
    if (date < leaf.notBefore || date > leaf.notAfter) return { ...info, problem: `the signing certificate is not valid at ${date.toISOString()}` }
    // Walk up: each certificate must be signed by the next, or by an anchor.
    for (let i = 0; i < certs.length; i++) {
      const cert = certs[i]!
      const anchor = await this.#anchorFor(cert, date)
      if (anchor) return { ...info, trusted: true, anchor: anchor.subject }
      const parent = certs[i + 1]
      if (!parent) break
      // As X509Certificate.verify({ signatureOnly: false }): the signature, and `date` strictly inside the validity.
      const ok = (await linkSignature(parsed, i)) && withinValidity(cert, date)
      if (!ok) return { ...info, problem: `certificate ${i} is not signed by certificate ${i + 1} of the chain` }
    }
    return { ...info, problem: 'the chain reaches no certificate in the trust store' }
  }

  async #anchorFor(cert: x509.X509Certificate, date: Date): Promise<x509.X509Certificate | undefined> {
    for (const anchor of this.#anchors) {
      if (equalBytes(new Uint8Array(anchor.rawData), new Uint8Array(cert.rawData))) return anchor
      if (anchor.subject !== cert.issuer) continue
      if (date < anchor.notBefore || date > anchor.notAfter) continue
      if (await this.#signedByAnchor(cert, anchor)) return anchor
    }
    return undefined
  }

  /** Whether `anchor` signed `cert`; remembered, since a batch meets the same chain in every file. */
  async #signedByAnchor(cert: x509.X509Certificate, anchor: x509.X509Certificate): Promise<boolean> {
    let known = this.#anchorSignatures.get(cert)
    if (!known) this.#anchorSignatures.set(cert, (known = new Map()))
    let ok = known.get(anchor)
    if (ok === undefined) {
      ok = await cert.verify({ publicKey: anchor.publicKey, signatureOnly: true }).catch(() => false)
      known.set(anchor, ok)
    }
    return ok
  }
}

/** A parsed x5c chain with the results that do not depend on the date or the trust store. */
interface ParsedChain {
  certs: x509.X509Certificate[]
  leafKey: Uint8Array | undefined
  /** links[i]: certificate i's signature verifies with certificate i + 1's key (signature only). */
  links: Array<Promise<boolean> | undefined>
}

/**
 * Parsed chains by their x5c text. Every label a signer makes carries the same chain, and parsing
 * it (ASN.1 in JavaScript) and checking its signatures cost about a millisecond per file; the
 * date and anchor checks still run on every call.
 */
const chainCache = new Map<string, Promise<ParsedChain | null>>()
const CHAIN_CACHE_SIZE = 64

function parseChain(X509: X509Module, x5c: readonly string[]): Promise<ParsedChain | null> {
  const id = x5c.join('.')
  let parsed = chainCache.get(id)
  if (!parsed) {
    parsed = (async () => {
      let certs: x509.X509Certificate[]
      try {
        certs = x5c.map((c) => new X509.X509Certificate(fromBase64Url(c) as Uint8Array<ArrayBuffer>))
      } catch {
        return null
      }
      const leaf = certs[0]
      const leafKey = leaf ? await rawPublicKeyFromSpki(new Uint8Array(leaf.publicKey.rawData)).catch(() => undefined) : undefined
      return { certs, leafKey, links: [] }
    })()
    if (chainCache.size >= CHAIN_CACHE_SIZE) chainCache.clear()
    chainCache.set(id, parsed)
  }
  return parsed
}

function linkSignature(chain: ParsedChain, i: number): Promise<boolean> {
  const cert = chain.certs[i]!
  const parent = chain.certs[i + 1]!
  return (chain.links[i] ??= cert.verify({ publicKey: parent.publicKey, signatureOnly: true }).catch(() => false))
}

function withinValidity(cert: x509.X509Certificate, date: Date): boolean {
  const time = date.getTime()
  return cert.notBefore.getTime() < time && time < cert.notAfter.getTime()
}
