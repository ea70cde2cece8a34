// @tanba/pdf: the PDF adapter. This entry holds only static format data; pdf-lib and the
// fonts load when the adapter does (see `pdfEntry.load`).
import type { Adapter, AdapterEntry } from '@tanba/core'
import type { PdfAdapterOptions } from './adapter.js'
import { PDF_FORMATS } from './formats.js'

export { PDF_FORMAT, PDF_FORMATS, sniffPdf } from './formats.js'
export type { PdfAdapterOptions } from './adapter.js'

/** The registry entry for PDF. */
export const pdfEntry: AdapterEntry = Object.freeze({
  name: 'pdf',
  kind: 'pdf',
  formats: PDF_FORMATS,
  load: () => import('./adapter.js').then((m) => m.createPdfAdapter()),
})

/** Loads pdf-lib and creates the adapter with default options (`@tanba/pdf/adapter` has the synchronous factory). */
export async function loadPdfAdapter(options?: PdfAdapterOptions): Promise<Adapter> {
  const m = await import('./adapter.js')
  return m.createPdfAdapter(options)
}
export { PDF_RULES } from './rules.js'
