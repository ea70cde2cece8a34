import { concatBytes, createSha256, nodeCrypto, sha256Base64Url } from '@tanba/core'

/** The bytes an essence digest covers, as a list of parts hashed in order (never concatenated when avoidable). */
export type EssenceParts = Uint8Array[]

/**
 * base64url SHA-256 over the parts in order, as if they were one byte string. In Node the parts are
 * fed to the native incremental hash, so large audio is never copied; other runtimes join them for
 * Web Crypto, which is faster there than the portable incremental hash.
 */
export async function sha256Parts(parts: EssenceParts): Promise<string> {
  if (nodeCrypto()) {
    const h = createSha256()
    for (const p of parts) h.update(p)
    return h.digestBase64Url()
  }
  return sha256Base64Url(parts.length === 1 ? parts[0]! : concatBytes(...parts))
}
