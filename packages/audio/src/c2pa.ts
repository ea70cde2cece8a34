import { C2PA_RULES, c2paUnavailable, type Extraction, type ExtractOptions, type FormatInfo, type Label, type Marker, type ReportMessage, type StampContext } from '@tanba/core'

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

/** The media type c2pa-node knows each audio format by. */
const C2PA_MEDIA_TYPES: Record<string, string> = { mp3: 'audio/mpeg', wav: 'audio/wav', flac: 'audio/flac', m4a: 'audio/mp4' }

export interface C2paRead {
  markers: Marker[]
  messages: ReportMessage[]
  labels: Extraction['labels']
  fields?: Record<string, unknown>
}

/** Reads the C2PA manifest store through @tanba/c2pa's shared findings (trust anchors from the verifier's trust store). */
export async function readC2paMarkers(input: Uint8Array, format: FormatInfo, options: ExtractOptions): Promise<C2paRead | null> {
  const mediaType = C2PA_MEDIA_TYPES[format.id]
  if (!mediaType) return null
  const c2pa = await loadC2pa()
  if (!c2pa) return { markers: [], labels: [], messages: [C2PA_RULES.message('c2pa.unavailable', 'C2PA was not read: @tanba/c2pa is not available')] }
  const found = await c2pa.extractC2pa(input, mediaType, options)
  return {
    markers: found.markers,
    messages: found.messages,
    labels: found.labels,
    ...(found.fields ? { fields: { ...found.fields } } : {}),
  }
}

/**
 * Embeds a C2PA manifest through @tanba/c2pa's one C2PA path (the caller's policy, the original as
 * parent when it had provenance). Formats without C2PA go through it too, so the rule id is the same.
 */
export async function signC2pa(bytes: Uint8Array, original: Uint8Array, label: Label, ctx: StampContext): Promise<{ bytes: Uint8Array | null; carrier: string; messages: ReportMessage[] }> {
  const mediaType = C2PA_MEDIA_TYPES[ctx.format.id] ?? ctx.format.mediaTypes[0]!
  const c2pa = await loadC2pa()
  if (!c2pa) return { bytes: null, carrier: 'c2pa', messages: [c2paUnavailable(ctx.c2paPolicy)] }
  const out = await c2pa.stampC2pa(bytes, mediaType, {
    policy: ctx.c2paPolicy,
    signer: ctx.signer,
    origin: ctx.origin,
    label,
    brokenParent: c2pa.brokenParentOption(ctx.adapterOptions),
    parent: { bytes: original, mimeType: mediaType },
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  })
  return { bytes: out.bytes, carrier: 'c2pa', messages: out.messages }
}

export async function closeC2pa(): Promise<void> {
  const c2pa = await loadC2pa()
  await c2pa?.close()
}
