import type { FormatInfo } from '@tanba/core'

/** "%PDF-" within the first 1024 bytes, as PDF readers accept it. */
export function sniffPdf(head: Uint8Array): boolean {
  const limit = Math.min(head.length, 1024) - 5
  for (let i = 0; i <= limit; i++) {
    if (head[i] === 0x25 && head[i + 1] === 0x50 && head[i + 2] === 0x44 && head[i + 3] === 0x46 && head[i + 4] === 0x2d) return true
  }
  return false
}

export const PDF_FORMAT: FormatInfo = Object.freeze({
  id: 'pdf',
  kind: 'pdf',
  mediaTypes: Object.freeze(['application/pdf', 'application/x-pdf']),
  extensions: Object.freeze(['pdf']),
  sniff: sniffPdf,
  supported: true,
  note: 'Changes are appended as incremental updates; encrypted files need their password unless the user password is empty',
})

export const PDF_FORMATS: readonly FormatInfo[] = Object.freeze([PDF_FORMAT])
