// Node's built-in modules without importing them: through process.getBuiltinModule (Node >= 20.16;
// Deno and Bun have it too), so the modules that use them still bundle for browsers and edge
// runtimes, where these functions return undefined and callers take their portable path.

/** A Node built-in module, or undefined when the runtime has none by that name. */
export function nodeBuiltin<T>(id: `node:${string}`): T | undefined {
  try {
    const get = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule
    return typeof get === 'function' ? (get(id) as T | undefined) : undefined
  } catch {
    return undefined
  }
}

export interface NodeHash {
  update(data: Uint8Array | string): NodeHash
  digest(): Uint8Array
}

/** The part of node:crypto the packages use: hashes, and OpenSSL signatures over DER keys. */
export interface NodeCrypto {
  createHash(alg: string): NodeHash
  createPublicKey(key: { key: Uint8Array; format: 'der'; type: 'spki' }): unknown
  createPrivateKey(key: { key: Uint8Array; format: 'der'; type: 'pkcs8' }): unknown
  sign(alg: string | null, data: Uint8Array, key: unknown): Uint8Array
  verify(alg: string | null, data: Uint8Array, key: unknown, signature: Uint8Array): boolean
}

let cryptoModule: NodeCrypto | null | undefined

/** node:crypto, or undefined outside Node-compatible runtimes. */
export function nodeCrypto(): NodeCrypto | undefined {
  if (cryptoModule === undefined) {
    const mod = nodeBuiltin<Partial<NodeCrypto>>('node:crypto')
    cryptoModule = typeof mod?.createHash === 'function' ? (mod as NodeCrypto) : null
  }
  return cryptoModule ?? undefined
}
