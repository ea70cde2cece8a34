import { C2PA_RULES, c2paUnavailable, type Extraction, type ExtractOptions, type Label, type Marker, type ReportMessage, type StampContext } from '@tanba/core'

// C2PA goes through @tanba/c2pa, which runs the native addon in a child process, so a crash or a
// panic on a hostile file becomes a DependencyError here, never a dead process.

type C2paModule = typeof import('@tanba/c2pa')
let modulePromise: Promise<C2paModule | null> | undefined

async function loadC2pa(): Promise<C2paModule | null> {
  modulePromise ??= import('@tanba/c2pa').then(
    (m) => (typeof m.extractC2pa === 'function' && typeof m.stampC2pa === 'function' ? m : null),
    () => null,
  )
  return modulePromise
}

/** c2pa-node reads and signs every ISO BMFF movie as video/mp4 (its BMFF hash does not look at the brand). */
export const C2PA_MEDIA_TYPE = 'video/mp4'

export interface C2paRead {
  markers: Marker[]
  messages: ReportMessage[]
  labels: Extraction['labels']
  fields?: Record<string, unknown>
}

/** Reads the C2PA manifest store through @tanba/c2pa's shared findings (trust anchors from the verifier's trust store). */
export async function readC2paMarkers(input: Uint8Array, options: ExtractOptions): Promise<C2paRead> {
  const c2pa = await loadC2pa()
  if (!c2pa) return { markers: [], labels: [], messages: [C2PA_RULES.message('c2pa.unavailable', 'C2PA was not read: @tanba/c2pa is not available')] }
  const found = await c2pa.extractC2pa(input, C2PA_MEDIA_TYPE, options)
  const s = found.summary
  return {
    markers: found.markers,
    messages: found.messages,
    labels: found.labels,
    ...(s ? { fields: { activeManifest: s.activeManifest, claimGenerator: s.claimGenerator, digitalSourceTypes: s.digitalSourceTypes, manifests: s.manifests.length } } : {}),
  }
}

/**
 * Embeds a C2PA manifest through @tanba/c2pa's one C2PA path: the caller's policy (`required`
 * throws the typed error, `preferred` reports one rule), the original as parent when it had
 * provenance, the same rule ids as every other adapter.
 */
export async function signC2pa(bytes: Uint8Array, original: Uint8Array, label: Label, ctx: StampContext): Promise<{ bytes: Uint8Array | null; messages: ReportMessage[] }> {
  const c2pa = await loadC2pa()
  if (!c2pa) return { bytes: null, messages: [c2paUnavailable(ctx.c2paPolicy)] }
  const out = await c2pa.stampC2pa(bytes, C2PA_MEDIA_TYPE, {
    policy: ctx.c2paPolicy,
    signer: ctx.signer,
    origin: ctx.origin,
    label,
    brokenParent: c2pa.brokenParentOption(ctx.adapterOptions),
    parent: { bytes: original, mimeType: C2PA_MEDIA_TYPE },
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  })
  return { bytes: out.bytes, messages: out.messages }
}

export async function closeC2pa(): Promise<void> {
  const c2pa = await loadC2pa()
  await c2pa?.close()
}
