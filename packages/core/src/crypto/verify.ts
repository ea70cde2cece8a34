import { ed25519 } from '@noble/curves/ed25519.js'
import { p256 } from '@noble/curves/nist.js'
import type { SignatureAlgorithm } from '../label.js'

/**
 * Verifies a raw signature. Pure JavaScript (audited @noble/curves), so it runs the same
 * in Node, browsers and edge runtimes and accepts compressed P-256 keys.
 * Returns false for any malformed key or signature instead of throwing.
 */
export function verifyRaw(alg: SignatureAlgorithm, publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    if (alg === 'Ed25519') return publicKey.length === 32 && signature.length === 64 && ed25519.verify(signature, data, publicKey)
    if (alg === 'ES256') return signature.length === 64 && p256.verify(signature, data, publicKey, { lowS: false, prehash: true })
    return false
  } catch {
    return false
  }
}
