import { isAiDigitalSourceType, type ExtractOptions, type Marker, type ReportMessage } from '@tanba/core'
import { hasC2paManifest } from './adapter.js'
import type { PdfFile } from './syntax/file.js'

export interface C2paFinding {
  marker?: Marker
  messages: ReportMessage[]
  fields?: unknown
}

type ReadC2pa = (bytes: Uint8Array, mediaType: string, options?: Record<string, unknown>) => Promise<unknown>

/**
 * Reads a PDF's C2PA manifest through @tanba/c2pa (which isolates the native reader), read-only.
 * When that reader is not available the manifest's presence is still reported.
 */
export async function readC2paMarker(input: Uint8Array, file: PdfFile, options: ExtractOptions): Promise<C2paFinding> {
  const present = hasC2paManifest(file)
  let read: ReadC2pa | undefined
  try {
    const mod = (await import('@tanba/c2pa')) as Record<string, unknown>
    if (typeof mod.readC2pa === 'function') read = mod.readC2pa as ReadC2pa
  } catch {
    read = undefined
  }
  if (!read) {
    if (!present) return { messages: [] }
    return {
      marker: { standard: 'c2pa', carrier: 'c2pa:pdf-af', aiMarked: false, valid: null, detail: 'A C2PA manifest store is attached (AFRelationship /C2PA_Manifest); it was not validated because no C2PA reader is available' },
      messages: [{ rule: 'c2pa.unverified', carrier: 'c2pa:pdf-af', fatal: false, reason: 'The PDF has a C2PA manifest, but no C2PA reader is available to validate it' }],
    }
  }
  let result: unknown
  try {
    result = await read(input, 'application/pdf', { limits: options.limits, ...(options.signal ? { signal: options.signal } : {}) })
  } catch (error) {
    return {
      ...(present ? { marker: { standard: 'c2pa', carrier: 'c2pa:pdf-af', aiMarked: false, valid: false, detail: 'The C2PA manifest could not be read' } as Marker } : {}),
      messages: [{ rule: 'c2pa.unreadable', carrier: 'c2pa:pdf-af', fatal: false, reason: `The C2PA manifest could not be read: ${(error as Error).message}` }],
    }
  }
  return c2paFinding(result, present)
}

/** Maps the reader's answer (a marker, or a summary object) to a marker. */
function c2paFinding(result: unknown, present: boolean): C2paFinding {
  if (result === null || result === undefined) {
    return present
      ? { marker: { standard: 'c2pa', carrier: 'c2pa:pdf-af', aiMarked: false, valid: false, detail: 'A C2PA attachment is present but holds no readable manifest' }, messages: [] }
      : { messages: [] }
  }
  const r = result as Record<string, unknown>
  if (r.marker && typeof r.marker === 'object') {
    const messages = Array.isArray(r.messages) ? (r.messages as ReportMessage[]) : []
    return { marker: r.marker as Marker, messages, fields: r.fields ?? r.summary }
  }
  if (typeof r.standard === 'string' && r.standard === 'c2pa') return { marker: r as unknown as Marker, messages: [] }
  const dst = typeof r.digitalSourceType === 'string' ? r.digitalSourceType : undefined
  const valid = typeof r.valid === 'boolean' ? r.valid : null
  return {
    marker: { standard: 'c2pa', carrier: 'c2pa:pdf-af', aiMarked: isAiDigitalSourceType(dst), valid, value: r, detail: `C2PA manifest${dst ? `, digital source type ${dst}` : ''}` },
    messages: [],
    fields: r,
  }
}
