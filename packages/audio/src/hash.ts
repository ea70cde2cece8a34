import { concatBytes, sha256Base64Url, toBase64Url } from '@tanba/core'

/** The bytes an essence digest covers, as a list of parts hashed in order (never concatenated when avoidable). */
export type EssenceParts = Uint8Array[]

interface NodeHash {
  update(data: Uint8Array): NodeHash
  digest(): Uint8Array
}
type CreateHash = (alg: string) => NodeHash

let nodeCreateHash: CreateHash | null | undefined
function createHashFn(): CreateHash | null {
  if (nodeCreateHash !== undefined) return nodeCreateHash
  // Node's incremental hash avoids copying large audio payloads; other runtimes concatenate and use Web Crypto.
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
  const mod = proc?.getBuiltinModule?.('node:crypto') as { createHash?: CreateHash } | undefined
  nodeCreateHash = mod?.createHash ?? null
  return nodeCreateHash
}

/** base64url SHA-256 over the parts in order, as if they were one byte string. */
export async function sha256Parts(parts: EssenceParts): Promise<string> {
  const create = createHashFn()
  if (create) {
    const h = create('sha256')
    for (const p of parts) h.update(p)
    return toBase64Url(new Uint8Array(h.digest()))
  }
  return sha256Base64Url(parts.length === 1 ? parts[0]! : concatBytes(...parts))
}
