// C2PA in the browser through @contentauth/c2pa-web (c2pa-rs compiled to WebAssembly, run in a
// web worker). The WASM file is bundled by Vite and served by the page itself: never a CDN.
// Loaded only when a file carries a C2PA manifest.
import type { C2paReader } from './engine.js'
import wasmSrc from '@contentauth/c2pa-web/resources/c2pa.wasm?url'

type C2pa = Awaited<ReturnType<typeof import('@contentauth/c2pa-web').createC2pa>>
let sdk: Promise<C2pa> | undefined

function load(): Promise<C2pa> {
  sdk ??= import('@contentauth/c2pa-web').then(({ createC2pa }) =>
    createC2pa({
      wasmSrc,
      // No remote manifests and no OCSP: the page makes no request because of a file.
      settings: { verify: { verifyTrust: true, remoteManifestFetch: false, ocspFetch: false } as never },
    }),
  )
  sdk.catch(() => (sdk = undefined))
  return sdk
}

/** c2pa-rs says "no manifest here" with these errors; the page treats them as "none". */
const NO_MANIFEST = /JumbfNotFound|ManifestNotFound|no.?manifest|not found/i

export const c2paWebReader: C2paReader = {
  async read(bytes, mediaType, trustAnchorsPem) {
    const c2pa = await load()
    const blob = new Blob([bytes as Uint8Array<ArrayBuffer>], { type: mediaType })
    let reader
    try {
      reader = await c2pa.reader.fromBlob(mediaType, blob, trustAnchorsPem ? { trust: { trustAnchors: trustAnchorsPem } } : undefined)
    } catch (error) {
      if (NO_MANIFEST.test(String((error as Error)?.message ?? error))) return null
      throw error
    }
    if (!reader) return null
    try {
      return await reader.manifestStore()
    } finally {
      await reader.free()
    }
  },
}
