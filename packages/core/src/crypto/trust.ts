import type * as x509 from '@peculiar/x509'
import { equalBytes, fromBase64Url } from '../bytes.js'
import { InvalidKeyError } from '../errors.js'
import { parsePemBlocks, rawKeyFromJwk, compressP256, type PublicJwk } from './keys.js'
import { keyThumbprint, rawPublicKeyFromSpki } from './signer.js'
import { loadX509, type X509Module } from './x509.js'
import { validateCertificatePath, type CertificatePurpose, type CertificateRule } from './path.js'
import { verifyTimestampToken, type TimestampCheck } from './timestamp.js'

interface TrustedKey {
  raw: Uint8Array
  kid: string
  /** Where the key came from, for reports ("jwks", "pem", a JWK's own kid). */
  source: string
  /** The certificate the key was taken from: trusting the key then still means checking that certificate. */
  certificate?: Uint8Array
}

export interface TrustSources {
  /** PEM text holding any mix of CERTIFICATE (trust anchors) and PUBLIC KEY blocks. */
  pem?: string | string[]
  /** A JWKS document ({"keys": [...]}) or a single JWK, as object or JSON text. */
  jwks?: unknown
  /** Raw public keys. */
  keys?: Uint8Array[]
  /** PEM certificates of trusted time-stamping authorities (roots of RFC 3161 TSA certificates). */
  tsa?: string | string[]
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
  /** The rule that failed, when the chain is not trusted (e.g. "certificate.leaf-eku"). */
  rule?: CertificateRule
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
  readonly #tsaAnchors: x509.X509Certificate[] = []
  /** Validated paths by chain and purpose, reused while the date stays inside the path's validity. */
  readonly #paths = new Map<string, { notBefore: number; notAfter: number; anchor: string }>()

  static async from(sources: TrustSources = {}): Promise<TrustStore> {
    const store = new TrustStore()
    for (const pem of [sources.pem ?? []].flat()) await store.addPem(pem)
    if (sources.jwks !== undefined) await store.addJwks(sources.jwks)
    for (const key of sources.keys ?? []) await store.addRawKey(key, 'raw')
    for (const pem of [sources.tsa ?? []].flat()) await store.addTimestampAuthorities(pem)
    return store
  }

  get size(): number {
    return this.#keys.length + this.#anchors.length
  }

  /** The trust anchors as PEM text (empty when there are none), e.g. for a C2PA validator. */
  certificatesPem(): string {
    return this.#anchors.map((c) => c.toString('pem') + '\n').join('')
  }

  /** The trusted time-stamping authorities' roots as PEM text (empty when there are none). */
  timestampAuthoritiesPem(): string {
    return this.#tsaAnchors.map((c) => c.toString('pem') + '\n').join('')
  }

  /**
   * Trusts these PEM certificates as roots of time-stamping authorities only: an RFC 3161 token
   * signed under them fixes the time a signature existed at. They do not vouch for signers.
   */
  async addTimestampAuthorities(text: string): Promise<void> {
    const blocks = parsePemBlocks(text)
    if (!blocks.length || blocks.some((b) => b.label !== 'CERTIFICATE')) {
      throw new InvalidKeyError(`Expected PEM CERTIFICATE blocks for the time-stamping authorities but found ${blocks.map((b) => b.label).join(', ') || 'no PEM block'}`)
    }
    const X509 = await loadX509()
    X509.cryptoProvider.set(crypto)
    for (const block of blocks) {
      try {
        this.#tsaAnchors.push(new X509.X509Certificate(block.der as Uint8Array<ArrayBuffer>))
      } catch (cause) {
        throw new InvalidKeyError('A time-stamping authority certificate could not be parsed as X.509', { cause })
      }
    }
    this.#paths.clear()
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
        this.#paths.clear()
        // Trusting a certificate trusts its key too: compact labels (plain text) carry the key
        // but no chain, so a verifier that trusts signer.pem can still recognise them. The
        // certificate stays attached, so its dates and key usage still decide (checkPinnedKey).
        const key = await rawPublicKeyFromSpki(new Uint8Array(cert.publicKey.rawData)).catch(() => undefined)
        if (key) await this.addRawKey(key, 'certificate', new Uint8Array(cert.rawData))
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

  async addRawKey(raw: Uint8Array, source: string, certificate?: Uint8Array): Promise<void> {
    const key = raw.length === 65 ? compressP256(raw) : raw
    this.#keys.push({ raw: key, kid: await keyThumbprint(key), source, ...(certificate ? { certificate } : {}) })
  }

  /** The trusted key matching this raw public key, if any. */
  findKey(raw: Uint8Array): TrustedKey | undefined {
    const key = raw.length === 65 ? compressP256(raw) : raw
    return this.#keys.find((k) => equalBytes(k.raw, key))
  }

  /**
   * Whether a key found in the store (findKey) is trusted at `date`: a bare key (JWK, PUBLIC KEY)
   * always is; a key taken from a trusted certificate only while that certificate is valid and
   * fit for signing (dates, key usage, EKU, not a CA).
   */
  async checkPinnedKey(key: TrustedKey, date: Date): Promise<{ trusted: boolean; rule?: CertificateRule; problem?: string }> {
    if (!key.certificate) return { trusted: true }
    const result = await validateCertificatePath([key.certificate], [key.certificate], { date, purpose: 'signing' })
    return result.ok ? { trusted: true } : { trusted: false, ...(result.rule ? { rule: result.rule } : {}), problem: `the trusted certificate of the signing key fails: ${result.problem}` }
  }

  /**
   * Checks an x5c chain (base64 DER, leaf first) against the anchors at `date`: RFC 5280 path
   * validation with PKI.js plus the signer profile (see validateCertificatePath).
   */
  async checkChain(x5c: readonly string[], date = new Date(), purpose: CertificatePurpose = 'signing'): Promise<ChainCheck> {
    const X509 = await loadX509()
    X509.cryptoProvider.set(crypto)
    const parsed = await parseChain(X509, x5c)
    if (!parsed) return { trusted: false, rule: 'certificate.unparseable', problem: 'the certificate chain cannot be parsed' }
    const { certs, leafKey } = parsed
    const leaf = certs[0]
    if (!leaf) return { trusted: false, rule: 'certificate.unparseable', problem: 'the certificate chain is empty' }
    const info: ChainCheck = {
      trusted: false,
      subject: leaf.subject,
      issuer: leaf.issuer,
      notAfter: leaf.notAfter.toISOString(),
      leafKey,
    }
    if (!this.#anchors.length) return { ...info, rule: 'certificate.no-anchor', problem: 'the chain reaches no certificate in the trust store (the trust store holds no certificates)' }
    // A batch meets the same chain in every file: a path validated once holds while the date is inside it.
    const id = `${purpose}:${x5c.join('.')}`
    const known = this.#paths.get(id)
    const time = date.getTime()
    if (known && known.notBefore <= time && time <= known.notAfter) return { ...info, trusted: true, anchor: known.anchor }
    const result = await validateCertificatePath(
      certs.map((c) => new Uint8Array(c.rawData)),
      this.#anchors.map((a) => new Uint8Array(a.rawData)),
      { date, purpose },
    )
    if (!result.ok) return { ...info, ...(result.rule ? { rule: result.rule } : {}), problem: result.problem ?? 'the certificate path is not valid' }
    const top = result.path!.at(-1)!
    const anchor = this.#anchors.find((a) => equalBytes(new Uint8Array(a.rawData), top))?.subject ?? leaf.subject
    if (this.#paths.size >= 64) this.#paths.clear()
    this.#paths.set(id, { notBefore: result.window!.notBefore.getTime(), notAfter: result.window!.notAfter.getTime(), anchor })
    return { ...info, trusted: true, anchor }
  }

  /** Checks an RFC 3161 time-stamp token over `data` against the trusted time-stamping authorities. */
  checkTimestamp(token: Uint8Array, data: Uint8Array): Promise<TimestampCheck> {
    return verifyTimestampToken(
      token,
      data,
      this.#tsaAnchors.map((a) => new Uint8Array(a.rawData)),
    )
  }
}

/** A parsed x5c chain with the results that do not depend on the date or the trust store. */
interface ParsedChain {
  certs: x509.X509Certificate[]
  leafKey: Uint8Array | undefined
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
      return { certs, leafKey }
    })()
    if (chainCache.size >= CHAIN_CACHE_SIZE) chainCache.clear()
    chainCache.set(id, parsed)
  }
  return parsed
}
