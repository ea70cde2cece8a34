import { ed25519 } from '@noble/curves/ed25519.js'
import { p256 } from '@noble/curves/nist.js'
import type { SignatureAlgorithm } from '../label.js'
import { nodeCrypto } from '../runtime.js'

/**
 * Verifies a raw signature. Pure JavaScript (audited @noble/curves), so it runs the same
 * in Node, browsers and edge runtimes and accepts compressed P-256 keys. In Node, the same
 * check runs in OpenSSL (about ten times faster, which matters when verifying whole folders).
 * Returns false for any malformed key or signature instead of throwing.
 */
export function verifyRaw(alg: SignatureAlgorithm, publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    if (alg === 'Ed25519') {
      if (publicKey.length !== 32 || signature.length !== 64) return false
      return nodeVerify(alg, publicKey, data, signature) ?? ed25519.verify(signature, data, publicKey)
    }
    if (alg === 'ES256') {
      if (signature.length !== 64) return false
      return nodeVerify(alg, publicKey, data, signature) ?? p256.verify(signature, data, publicKey, { lowS: false, prehash: true })
    }
    return false
  } catch {
    return false
  }
}


// SubjectPublicKeyInfo headers for a bare key (OpenSSL accepts compressed P-256 points).
const SPKI_PREFIX = {
  ed25519: [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00],
  p256: (length: number) => [0x30, 0x13 + 5 + length, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, length + 1, 0x00],
}
const keyCache = new Map<string, unknown>()

/** true/false from OpenSSL, or undefined when node:crypto is unavailable or refuses the key. */
function nodeVerify(alg: SignatureAlgorithm, publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean | undefined {
  // node:crypto without an import (see runtime.ts); undefined elsewhere, and the caller uses @noble/curves.
  const node = nodeCrypto()
  if (!node) return undefined
  if (alg === 'ES256' && publicKey.length !== 33 && publicKey.length !== 65) return undefined
  const id = `${alg}:${Array.from(publicKey, (b) => b.toString(16).padStart(2, '0')).join('')}`
  let key = keyCache.get(id)
  if (!key) {
    const prefix = alg === 'Ed25519' ? SPKI_PREFIX.ed25519 : SPKI_PREFIX.p256(publicKey.length)
    const spki = new Uint8Array(prefix.length + publicKey.length)
    spki.set(prefix)
    spki.set(publicKey, prefix.length)
    try {
      key = node.createPublicKey({ key: spki, format: 'der', type: 'spki' })
    } catch {
      return undefined
    }
    if (keyCache.size >= 256) keyCache.clear()
    keyCache.set(id, key)
  }
  return alg === 'Ed25519' ? node.verify(null, data, { key }, signature) : node.verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature)
}
