import { C2PA_RULES, UnsupportedFormatError, type ExtractOptions, type FoundLabel, type Marker, type ReportMessage, type StampContext } from '@tanba/core'
import { hasC2paManifest } from './carriers.js'
import type { PdfFile } from './syntax/file.js'

export interface C2paFinding {
  markers: Marker[]
  labels: FoundLabel[]
  messages: ReportMessage[]
  fields?: unknown
}

const CARRIER = 'c2pa:pdf-af'
/**
 * Reads a PDF's C2PA manifest store through @tanba/c2pa's shared findings, read-only. That package
 * runs the native reader in a child process, so a crash there becomes a message here, not a dead process.
 */
export async function readC2paMarker(input: Uint8Array, file: PdfFile, options: ExtractOptions): Promise<C2paFinding> {
  const present = hasC2paManifest(file)
  const { extractC2pa } = await import('@tanba/c2pa')
  const found = await extractC2pa(input, 'application/pdf', options, { carrier: CARRIER, present })
  return {
    markers: found.markers,
    labels: found.labels,
    messages: found.messages,
    ...(found.fields ? { fields: found.fields } : {}),
  }
}

/**
 * What a PDF stamp says about C2PA, under the same rules as the other adapters: the engine
 * (c2pa-node 0.5.5) reads PDF manifests but cannot sign PDF, so C2PA is `c2pa.unsupported-format`
 * (thrown under the `required` policy), and a manifest already there goes `c2pa.stale`.
 */
export function c2paStampMessages(ctx: StampContext, hasManifest: boolean): ReportMessage[] {
  const messages: ReportMessage[] = []
  if (ctx.c2pa) {
    const reason =
      'C2PA manifests are not embedded in PDF: the C2PA library Tanba uses can read but not sign PDF. The Tanba label, XMP and /AIGC carry the disclosure; stamp without C2PA with --no-c2pa (in the SDK: the c2pa option set to false)'
    if (ctx.c2paPolicy === 'required') throw new UnsupportedFormatError(reason, { details: { mediaType: 'application/pdf', rule: 'c2pa.unsupported-format', option: 'c2pa' } })
    messages.push(C2PA_RULES.message('c2pa.unsupported-format', reason, { carrier: 'c2pa' }))
  }
  if (hasManifest) {
    messages.push(C2PA_RULES.message('c2pa.stale', 'The PDF carries a C2PA manifest; it is kept, but the appended revisions are outside its hard binding, so C2PA validators will report the file as changed after signing', { carrier: CARRIER }))
  }
  return messages
}
