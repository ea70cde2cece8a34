import type { ExtractOptions, FoundLabel, Marker, ReportMessage } from '@tanba/core'
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
    ...(found.summary ? { fields: found.summary } : {}),
  }
}
