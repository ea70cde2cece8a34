// C2PA through @tanba/c2pa, which runs the native addon in a child process so its failures are errors,
// never crashes. Loaded only when a file carries a manifest (reading) or C2PA is asked for (stamping).
import { C2PA_RULES, c2paUnavailable, UnsupportedFormatError, type ExtractOptions, type FormatInfo, type FoundLabel, type Label, type Marker, type ReportMessage, type StampContext } from '@tanba/core'

type C2paApi = typeof import('@tanba/c2pa')

let api: Promise<C2paApi | null> | undefined

/** @tanba/c2pa, loaded on first use; null when it cannot be loaded. */
export function loadC2pa(): Promise<C2paApi | null> {
  api ??= import('@tanba/c2pa').then(
    (m) => m,
    () => null,
  )
  return api
}

/** Ends the C2PA worker process, if @tanba/c2pa has one running. */
export async function closeC2pa(): Promise<void> {
  if (!api) return
  const mod = await api
  await mod?.close()
}

function mediaTypeOf(format: FormatInfo): string {
  return format.id === 'heic' ? 'image/heic' : format.mediaTypes[0]!
}

export interface C2paFindings {
  markers: Marker[]
  labels: FoundLabel[]
  messages: ReportMessage[]
  fields: Record<string, unknown>
}

/** An XMP `dcterms:provenance` URL: a reference to a remote C2PA manifest (C2PA 2.x, "External manifests"). */
export function remoteManifestReference(xmp: readonly { text: string }[]): boolean {
  return xmp.some((p) => /dcterms:provenance\s*=\s*["']|<dcterms:provenance>/.test(p.text))
}

/** Reads the manifest store through @tanba/c2pa's shared findings: one "c2pa" marker, its codes, the Tanba label assertion. */
export async function readImageC2pa(bytes: Uint8Array, format: FormatInfo, carrier: string, opts: ExtractOptions): Promise<C2paFindings> {
  const out: C2paFindings = { markers: [], labels: [], messages: [], fields: {} }
  const c2pa = await loadC2pa()
  if (!c2pa) {
    out.markers.push({ standard: 'c2pa', carrier, aiMarked: false, valid: null, detail: 'A C2PA manifest store is present; @tanba/c2pa is not available to read it' })
    out.messages.push(C2PA_RULES.message('c2pa.unavailable', 'The file carries a C2PA manifest but @tanba/c2pa is not available to read it', { carrier }))
    return out
  }
  const found = await c2pa.extractC2pa(bytes, mediaTypeOf(format), opts, { carrier, present: true })
  out.markers.push(...found.markers)
  out.labels.push(...found.labels)
  out.messages.push(...found.messages)
  if (found.fields) out.fields.c2pa = found.fields
  return out
}

/** Signs a manifest through @tanba/c2pa's one C2PA path (the caller's policy; an existing manifest becomes the parent ingredient). */
export async function signImageC2pa(bytes: Uint8Array, format: FormatInfo, label: Label, ctx: StampContext, parent: Uint8Array | null): Promise<{ bytes?: Uint8Array; messages: ReportMessage[] }> {
  const c2pa = await loadC2pa()
  const mediaType = mediaTypeOf(format)
  if (!c2pa) return { messages: [c2paUnavailable(ctx.c2paPolicy)] }
  // c2pa-rs stores a TIFF manifest in an extra directory without image data, which libvips (sharp)
  // and others then refuse to open (contentauth/c2pa-rs#1894). Opt in with `image.tiffC2pa`.
  if (format.id === 'tiff' && (ctx.adapterOptions.image as { tiffC2pa?: boolean } | undefined)?.tiffC2pa !== true) {
    const reason =
      'C2PA is left out of TIFF by default: c2pa-node writes the manifest in an image-less TIFF directory that libvips and other readers refuse to open (c2pa-rs#1894); set adapterOptions.image.tiffC2pa = true to embed it anyway, or stamp without C2PA with --no-c2pa (in the SDK: the c2pa option set to false)'
    if (ctx.c2paPolicy === 'required') throw new UnsupportedFormatError(reason, { details: { mediaType, rule: 'c2pa.unsupported-format', option: 'adapterOptions.image.tiffC2pa' } })
    return { messages: [C2PA_RULES.message('c2pa.unsupported-format', reason, { carrier: 'c2pa' })] }
  }
  const signed = await c2pa.stampC2pa(bytes, mediaType, {
    policy: ctx.c2paPolicy,
    signer: ctx.signer,
    origin: ctx.origin,
    label,
    brokenParent: c2pa.brokenParentOption(ctx.adapterOptions),
    // The input before the warning was drawn: its manifest becomes the parent ingredient.
    ...(parent ? { parent: { bytes: parent, mimeType: mediaType } } : {}),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  })
  return signed.bytes ? { bytes: signed.bytes, messages: signed.messages } : { messages: signed.messages }
}
