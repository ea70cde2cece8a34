// C2PA through @tanba/c2pa, which runs the native addon in a child process so its failures are errors,
// never crashes. Loaded only when a file carries a manifest (reading) or C2PA is asked for (stamping).
import type { C2paSummary } from '@tanba/c2pa'
import { InvalidOptionError, isAiDigitalSourceType, isTanbaError, InvalidLabelError, assertLabel, type ExtractOptions, type FormatInfo, type FoundLabel, type Label, type Marker, type ReportMessage, type StampContext } from '@tanba/core'

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

/** Reads the manifest store: one "c2pa" marker, plus the Tanba label when its assertion carries one. */
export async function readImageC2pa(bytes: Uint8Array, format: FormatInfo, carrier: string, opts: ExtractOptions): Promise<C2paFindings> {
  const out: C2paFindings = { markers: [], labels: [], messages: [], fields: {} }
  const c2pa = await loadC2pa()
  if (!c2pa) {
    out.markers.push({ standard: 'c2pa', carrier, aiMarked: false, valid: null, detail: 'A C2PA manifest store is present; @tanba/c2pa is not available to read it' })
    out.messages.push({ rule: 'c2pa.unavailable', carrier, fatal: false, reason: 'The file carries a C2PA manifest but @tanba/c2pa is not available to read it' })
    return out
  }
  let summary: C2paSummary | null
  const trustAnchors = c2paTrustAnchors(opts.adapterOptions)
  try {
    summary = await c2pa.readC2pa(bytes, mediaTypeOf(format), { ...(opts.signal ? { signal: opts.signal } : {}), ...(trustAnchors ? { trustAnchors } : {}) })
  } catch (error) {
    if (isTanbaError(error) && error.code === 'TANBA_ABORTED') throw error
    out.markers.push({ standard: 'c2pa', carrier, aiMarked: false, valid: false, detail: `The C2PA manifest could not be read: ${(error as Error).message}` })
    out.messages.push({ rule: 'c2pa.unreadable', carrier, fatal: false, reason: `The C2PA manifest could not be read: ${(error as Error).message}` })
    return out
  }
  if (!summary) {
    out.markers.push({ standard: 'c2pa', carrier, aiMarked: false, valid: false, detail: `A C2PA carrier (${carrier}) is present but holds no readable manifest store` })
    out.messages.push({ rule: 'c2pa.unreadable', carrier, fatal: false, reason: `A C2PA carrier (${carrier}) is present but the C2PA reader found no manifest store in it` })
    return out
  }
  const failures = summary.validationStatus.filter((s) => s.active).map((s) => s.code)
  const broken = summary.validationState === 'invalid' || failures.some((c) => !/untrusted|expired|timeStamp/i.test(c))
  const dst = summary.digitalSourceTypes.find((d) => isAiDigitalSourceType(d)) ?? summary.digitalSourceTypes[0]
  const signer = summary.signature?.commonName ?? summary.signature?.issuer
  out.markers.push({
    standard: 'c2pa',
    carrier,
    aiMarked: summary.aiGenerated || summary.aiInHistory,
    valid: broken ? false : summary.validationState === 'trusted' || summary.validationState === 'valid' ? true : null,
    value: summary,
    detail: [
      `C2PA manifest${summary.claimGenerator ? ` by ${summary.claimGenerator}` : ''}`,
      signer ? `signed by ${signer}` : undefined,
      dst ? `digital source type ${dst.replace(/^.*\//, '')}` : 'no digital source type',
      summary.trusted ? 'trusted' : 'untrusted',
      failures.length ? `codes: ${failures.join(', ')}` : undefined,
    ]
      .filter(Boolean)
      .join('; '),
  })
  for (const code of failures) {
    out.messages.push({ rule: `c2pa.${code}`, carrier, fatal: false, reason: summary.validationStatus.find((s) => s.code === code)?.explanation ?? `C2PA validation reported ${code}` })
  }
  out.fields['c2pa.activeManifest'] = summary.activeManifest
  out.fields['c2pa.claimGenerator'] = summary.claimGenerator
  out.fields['c2pa.validationState'] = summary.validationState
  out.fields['c2pa.digitalSourceTypes'] = summary.digitalSourceTypes
  if (signer) out.fields['c2pa.signer'] = signer
  if (summary.ingredients.length) out.fields['c2pa.ingredients'] = summary.ingredients
  if (summary.tanbaLabel !== null && summary.tanbaLabel !== undefined) {
    try {
      assertLabel(summary.tanbaLabel)
      out.labels.push({ carrier: 'c2pa', label: summary.tanbaLabel })
    } catch (error) {
      out.labels.push({ carrier: 'c2pa', error: isTanbaError(error) ? error : new InvalidLabelError(String(error)) })
    }
  }
  return out
}

/** Signs a manifest (AI action with the digital source type, the Tanba label assertion; an existing manifest becomes the parent ingredient). */
export async function signImageC2pa(bytes: Uint8Array, format: FormatInfo, label: Label, ctx: StampContext, parent: Uint8Array | null): Promise<{ bytes?: Uint8Array; messages: ReportMessage[] }> {
  const c2pa = await loadC2pa()
  const mediaType = mediaTypeOf(format)
  if (!c2pa) {
    return { messages: [{ rule: 'c2pa.skipped', fatal: false, reason: 'C2PA was requested but @tanba/c2pa is not available; the image carries XMP only' }] }
  }
  if (!c2pa.c2paSupport(mediaType).sign) {
    return { messages: [{ rule: 'c2pa.skipped', fatal: false, reason: `C2PA cannot be embedded in ${format.id.toUpperCase()}` }] }
  }
  const signed = await c2pa.signC2pa(bytes, mediaType, {
    signer: ctx.signer,
    origin: ctx.origin,
    tanbaLabel: label,
    claimGenerator: { name: 'Tanba', version: '0.1.0' },
    // The input before the warning was drawn: its manifest becomes the parent ingredient.
    ...(parent ? { parent: { bytes: parent, mimeType: mediaType } } : {}),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  })
  return { bytes: signed, messages: parent ? [{ rule: 'c2pa.parent', fatal: false, reason: 'The existing C2PA manifest was kept as the parent ingredient' }] : [] }
}

/** PEM trust anchors for C2PA validation from adapterOptions.c2pa.trustAnchors (shared by every adapter). */
function c2paTrustAnchors(adapterOptions: Record<string, unknown>): string | undefined {
  const value = (adapterOptions.c2pa as { trustAnchors?: unknown } | undefined)?.trustAnchors
  if (value === undefined) return undefined
  if (typeof value !== 'string') throw new InvalidOptionError('Expected adapterOptions.c2pa.trustAnchors to be PEM text')
  return value
}
