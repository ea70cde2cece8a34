import { InvalidKeyError, InvalidOptionError } from '../errors.js'
import type { SignatureAlgorithm } from '../label.js'
import { equalBytes, fromBase64Url, sha256, toBase64Url } from '../bytes.js'
import { compressP256, derToP1363, parsePemBlocks, pemBody } from './keys.js'
import { nodeBuiltin, nodeCrypto } from '../runtime.js'
import { loadX509 } from './x509.js'

/**
 * Anything that can sign bytes: a local key, a KMS, an HSM.
 * `sign` receives the exact bytes to sign (not a digest) and returns the raw
 * signature: 64 bytes for Ed25519, r||s (IEEE P1363) for ES256 (DER is accepted and converted).
 */
export interface Signer {
  readonly alg: SignatureAlgorithm
  /** Raw public key: Ed25519 32 bytes, P-256 compressed (33) or uncompressed (65). */
  readonly publicKey: Uint8Array
  /** Key id; defaults to the public key thumbprint. */
  readonly kid: string
  /** X.509 chain as DER, leaf first, when the key has a certificate. */
  readonly certificates?: readonly Uint8Array[]
  sign(data: Uint8Array): Promise<Uint8Array>
}

/** Key id = base64url of the first 12 bytes of SHA-256 over the raw public key. */
export async function keyThumbprint(publicKey: Uint8Array): Promise<string> {
  const key = publicKey.length === 65 ? compressP256(publicKey) : publicKey
  return toBase64Url((await sha256(key)).subarray(0, 12))
}

export interface PemSignerOptions {
  /** PKCS#8 private key PEM ("BEGIN PRIVATE KEY"), Ed25519 or P-256. */
  privateKey: string
  /** Certificate chain PEM, leaf first (optional; needed for C2PA and for X.509 trust). */
  certificateChain?: string
  kid?: string
}

/** A signer for a local PEM private key, using Web Crypto (works in Node, browsers, edge runtimes). */
export async function createPemSigner(options: PemSignerOptions): Promise<Signer> {
  const blocks = parsePemBlocks(options.privateKey)
  const keyBlock = blocks.find((b) => b.label === 'PRIVATE KEY')
  if (!keyBlock) {
    const found = blocks.map((b) => b.label).join(', ') || 'no PEM block'
    const hint = blocks.some((b) => b.label === 'EC PRIVATE KEY')
      ? ' Convert it with: openssl pkcs8 -topk8 -nocrypt -in key.pem -out key.pk8.pem'
      : ''
    throw new InvalidKeyError(`Expected a PKCS#8 private key ("BEGIN PRIVATE KEY") but found ${found}.${hint}`)
  }
  const der = keyBlock.der
  const { alg, jwk } = await importPkcs8(der)
  const { d: _d, ...publicJwk } = jwk
  const publicKey =
    alg === 'Ed25519'
      ? fromBase64Url(publicJwk.x!)
      : compressP256(new Uint8Array([4, ...fromBase64Url(publicJwk.x!), ...fromBase64Url(publicJwk.y!)]))
  const algorithm = alg === 'Ed25519' ? { name: 'Ed25519' } : { name: 'ECDSA', namedCurve: 'P-256' }
  const privateKey = await crypto.subtle.importKey('jwk', jwk, algorithm, false, ['sign'])
  const certificates = options.certificateChain
    ? parsePemBlocks(options.certificateChain)
        .filter((b) => b.label === 'CERTIFICATE')
        .map((b) => b.der)
    : undefined
  if (options.certificateChain && (!certificates || certificates.length === 0)) {
    throw new InvalidKeyError('Expected one or more "BEGIN CERTIFICATE" blocks in the certificate chain PEM but found none')
  }
  if (certificates?.length) await assertCertificateMatchesKey(certificates[0]!, publicKey, alg)
  const kid = options.kid ?? (await keyThumbprint(publicKey))
  const signParams = alg === 'Ed25519' ? { name: 'Ed25519' } : { name: 'ECDSA', hash: 'SHA-256' }
  const nodeKey = nodePrivateKey(der)
  return {
    alg,
    publicKey,
    kid,
    ...(certificates ? { certificates } : {}),
    async sign(data) {
      if (nodeKey) {
        const node = nodeCrypto()!
        return new Uint8Array(alg === 'Ed25519' ? node.sign(null, data, nodeKey) : node.sign('sha256', data, { key: nodeKey, dsaEncoding: 'ieee-p1363' }))
      }
      return new Uint8Array(await crypto.subtle.sign(signParams, privateKey, data as Uint8Array<ArrayBuffer>))
    },
  }
}

// In Node a signature is made synchronously in OpenSSL (node:crypto without an import, see
// runtime.ts): Web Crypto's sign is the same OpenSSL call sent to the thread pool and back, and
// that round trip (measured up to 8 ms while the pool or the cores are busy) cost more than the
// signature (about 0.05 ms).
function nodePrivateKey(pkcs8: Uint8Array): unknown {
  const node = nodeCrypto()
  if (!node) return undefined
  try {
    return node.createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' })
  } catch {
    return undefined // Web Crypto accepted the key; keep using it
  }
}

export interface CallbackSignerOptions {
  alg: SignatureAlgorithm
  /** Raw public key bytes, or an SPKI PEM ("BEGIN PUBLIC KEY"). */
  publicKey: Uint8Array | string
  kid?: string
  /** Certificate chain PEM or DER list, leaf first. */
  certificates?: string | readonly Uint8Array[]
  /** Signs the bytes in a KMS or HSM and returns the raw (or DER, for ES256) signature. */
  sign: (data: Uint8Array) => Promise<Uint8Array>
}

/** A signer whose private key lives elsewhere (KMS, HSM, a remote service). */
export async function createCallbackSigner(options: CallbackSignerOptions): Promise<Signer> {
  if (options.alg !== 'Ed25519' && options.alg !== 'ES256') {
    throw new InvalidOptionError(`Expected alg "Ed25519" or "ES256" but received ${JSON.stringify(options.alg)}`)
  }
  const publicKey =
    typeof options.publicKey === 'string' ? await rawPublicKeyFromSpki(pemBody(options.publicKey, 'PUBLIC KEY'), options.alg) : options.publicKey
  const certificates =
    typeof options.certificates === 'string'
      ? parsePemBlocks(options.certificates)
          .filter((b) => b.label === 'CERTIFICATE')
          .map((b) => b.der)
      : options.certificates
  if (certificates?.length) await assertCertificateMatchesKey(certificates[0]!, publicKey, options.alg)
  const kid = options.kid ?? (await keyThumbprint(publicKey))
  const alg = options.alg
  return {
    alg,
    publicKey,
    kid,
    ...(certificates ? { certificates } : {}),
    async sign(data) {
      const signature = await options.sign(data)
      return alg === 'ES256' && signature.length !== 64 ? derToP1363(signature) : signature
    },
  }
}

/**
 * Refuses a certificate chain whose leaf holds another key than the signer's: every label signed
 * with it would carry a chain that does not vouch for its signature (and verify as invalid).
 */
async function assertCertificateMatchesKey(leafDer: Uint8Array, publicKey: Uint8Array, alg: SignatureAlgorithm): Promise<void> {
  let spki: Uint8Array
  try {
    spki = await leafSpki(leafDer)
  } catch (cause) {
    throw new InvalidKeyError('Expected the first certificate of the chain (--cert) to be an X.509 certificate but it could not be parsed', { cause })
  }
  const certKey = await rawPublicKeyFromSpki(spki).catch(() => undefined)
  const own = publicKey.length === 65 ? compressP256(publicKey) : publicKey
  if (!certKey || !equalBytes(certKey, own)) {
    throw new InvalidKeyError(
      `Expected the certificate chain (--cert) to start with the certificate of the signing key (--key), but its first certificate holds ${certKey ? `another ${algorithmOfRawKey(certKey)} public key` : 'a public key of another type'} than the ${alg} key; pass the matching key and certificate`,
    )
  }
}

/**
 * The SubjectPublicKeyInfo of a certificate: Node's native parser where there is one (loading the
 * portable X.509 library costs a one-file command about 0.1 s), else @peculiar/x509.
 */
async function leafSpki(der: Uint8Array): Promise<Uint8Array> {
  const Native = nodeBuiltin<typeof import('node:crypto')>('node:crypto')?.X509Certificate
  if (Native) return new Uint8Array(new Native(der).publicKey.export({ type: 'spki', format: 'der' }))
  const X509 = await loadX509()
  return new Uint8Array(new X509.X509Certificate(der as Uint8Array<ArrayBuffer>).publicKey.rawData)
}

async function importPkcs8(der: Uint8Array): Promise<{ alg: SignatureAlgorithm; jwk: JsonWebKey }> {
  const attempts: Array<[SignatureAlgorithm, AlgorithmIdentifier | EcKeyImportParams]> = [
    ['ES256', { name: 'ECDSA', namedCurve: 'P-256' }],
    ['Ed25519', { name: 'Ed25519' }],
  ]
  for (const [alg, params] of attempts) {
    try {
      const key = await crypto.subtle.importKey('pkcs8', der as Uint8Array<ArrayBuffer>, params, true, ['sign'])
      return { alg, jwk: await crypto.subtle.exportKey('jwk', key) }
    } catch {
      // try the next algorithm
    }
  }
  throw new InvalidKeyError('Expected an Ed25519 or P-256 (ES256) PKCS#8 private key but the key is of another type or damaged')
}

/** Raw public key bytes from SPKI DER. */
export async function rawPublicKeyFromSpki(spki: Uint8Array, alg?: SignatureAlgorithm): Promise<Uint8Array> {
  const tries: Array<[SignatureAlgorithm, AlgorithmIdentifier | EcKeyImportParams]> = [
    ['ES256', { name: 'ECDSA', namedCurve: 'P-256' }],
    ['Ed25519', { name: 'Ed25519' }],
  ]
  for (const [a, params] of tries) {
    if (alg && alg !== a) continue
    try {
      const key = await crypto.subtle.importKey('spki', spki as Uint8Array<ArrayBuffer>, params, true, ['verify'])
      const raw = new Uint8Array(await crypto.subtle.exportKey('raw', key))
      return a === 'ES256' ? compressP256(raw) : raw
    } catch {
      // next
    }
  }
  throw new InvalidKeyError(`Expected an ${alg ?? 'Ed25519 or P-256'} public key (SPKI) but could not read it`)
}

/** Which algorithm a raw public key belongs to, from its length. */
export function algorithmOfRawKey(raw: Uint8Array): SignatureAlgorithm {
  if (raw.length === 32) return 'Ed25519'
  if (raw.length === 33 || raw.length === 65) return 'ES256'
  throw new InvalidKeyError(`Expected a 32-byte Ed25519 or 33/65-byte P-256 public key but received ${raw.length} bytes`)
}
