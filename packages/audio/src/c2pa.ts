import type { ExtractOptions, FormatInfo, Label, Marker, ReportMessage, StampContext, Extraction } from '@tanba/core'

export interface C2paRead {
  markers: Marker[]
  messages: ReportMessage[]
  labels: Extraction['labels']
  fields?: Record<string, unknown>
}

export async function readC2paMarkers(_input: Uint8Array, _format: FormatInfo, _options: ExtractOptions): Promise<C2paRead | null> {
  return null
}

export async function signC2pa(_bytes: Uint8Array, _original: Uint8Array, _label: Label, _ctx: StampContext): Promise<{ bytes: Uint8Array | null; carrier: string; messages: ReportMessage[] }> {
  return { bytes: null, carrier: 'c2pa', messages: [{ rule: 'c2pa.unavailable', fatal: false, reason: 'C2PA skipped: @tanba/c2pa does not provide signC2pa yet' }] }
}
