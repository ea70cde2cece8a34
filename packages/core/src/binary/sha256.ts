// An incremental SHA-256 for adapters that feed an essence in pieces: Node's native hash when the
// runtime offers it without an import (process.getBuiltinModule, Node >= 20.16), else
// @noble/hashes (browsers, edge runtimes). Web Crypto has no incremental digest.
import { sha256 } from '@noble/hashes/sha2.js'
import { toBase64Url, utf8 } from '../bytes.js'
import { nodeCrypto } from '../runtime.js'

export interface IncrementalSha256 {
  /** Feeds bytes, or a string as its UTF-8 bytes. */
  update(data: Uint8Array | string): IncrementalSha256
  digest(): Uint8Array
  /** The digest as base64url without padding (the form labels carry). */
  digestBase64Url(): string
}

/** A new incremental SHA-256. `native: false` forces the portable implementation (tests compare both). */
export function createSha256(options: { native?: boolean } = {}): IncrementalSha256 {
  const node = options.native === false ? undefined : nodeCrypto()
  if (node) {
    const hash = node.createHash('sha256')
    const self: IncrementalSha256 = {
      update(data) {
        hash.update(data)
        return self
      },
      digest: () => new Uint8Array(hash.digest()),
      digestBase64Url: () => toBase64Url(new Uint8Array(hash.digest())),
    }
    return self
  }
  const hash = sha256.create()
  const self: IncrementalSha256 = {
    update(data) {
      hash.update(typeof data === 'string' ? utf8(data) : data)
      return self
    },
    digest: () => hash.digest(),
    digestBase64Url: () => toBase64Url(hash.digest()),
  }
  return self
}
