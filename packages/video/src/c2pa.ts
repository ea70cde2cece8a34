import { isTanbaError, type Extraction, type ExtractOptions, type Label, type Marker, type ReportMessage, type StampContext } from '@tanba/core'

// C2PA goes through @tanba/c2pa, which runs the native addon in a child process, so a crash or a
// panic on a hostile file becomes a DependencyError here, never a dead process.

type C2paModule = typeof import('@tanba/c2pa')
let modulePromise: Promise<C2paModule | null> | undefined

async function loadC2pa(): Promise<C2paModule | null> {
  modulePromise ??= import('@tanba/c2pa').then(
    (m) => (typeof m.extractC2pa === 'function' && typeof m.signC2pa === 'function' ? m : null),
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
  if (!c2pa) return { markers: [], labels: [], messages: [{ rule: 'c2pa.unavailable', fatal: false, reason: 'C2PA was not read: @tanba/c2pa is not available' }] }
  const found = await c2pa.extractC2pa(input, C2PA_MEDIA_TYPE, options)
  const s = found.summary
  return {
    markers: found.markers,
    messages: found.messages,
    labels: found.labels,
    ...(s ? { fields: { activeManifest: s.activeManifest, claimGenerator: s.claimGenerator, digitalSourceTypes: s.digitalSourceTypes, manifests: s.manifests.length } } : {}),
  }
}

/** Embeds a C2PA manifest (digital source type, the Tanba label assertion, the original as parent when it had provenance). */
export async function signC2pa(bytes: Uint8Array, original: Uint8Array, label: Label, ctx: StampContext): Promise<{ bytes: Uint8Array | null; messages: ReportMessage[] }> {
  const skip = (rule: string, reason: string) => ({ bytes: null, messages: [{ rule, fatal: false, reason }] })
  if (!ctx.signer.certificates?.length) return skip('c2pa.no-certificate', 'C2PA skipped: the signer has no X.509 certificate chain (use `tanba keygen` or a PEM chain)')
  const c2pa = await loadC2pa()
  if (!c2pa) return skip('c2pa.unavailable', 'C2PA skipped: @tanba/c2pa is not available')
  try {
    const out = await c2pa.signC2pa(bytes, C2PA_MEDIA_TYPE, {
      signer: ctx.signer,
      origin: ctx.origin,
      tanbaLabel: label,
      parent: { bytes: original, mimeType: C2PA_MEDIA_TYPE },
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    })
    return { bytes: out, messages: [] }
  } catch (error) {
    if (isTanbaError(error) && (error.code === 'TANBA_ABORTED' || error.code === 'TANBA_INVALID_KEY')) throw error
    const code = isTanbaError(error) ? error.code : 'TANBA_DEPENDENCY_FAILED'
    return skip('c2pa.failed', `C2PA skipped: signing failed (${code}): ${(error as Error).message}`)
  }
}

export async function closeC2pa(): Promise<void> {
  const c2pa = await loadC2pa()
  await c2pa?.close()
}
