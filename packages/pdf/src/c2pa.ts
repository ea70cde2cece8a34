import { isTanbaError, type ExtractOptions, type Marker, type ReportMessage } from '@tanba/core'
import type { C2paSummary } from '@tanba/c2pa'
import { hasC2paManifest } from './carriers.js'
import type { PdfFile } from './syntax/file.js'

export interface C2paFinding {
  marker?: Marker
  messages: ReportMessage[]
  fields?: unknown
}

const CARRIER = 'c2pa:pdf-af'
/** Codes about the signer's standing rather than the manifest's integrity. */
const TRUST_CODES = /^signingCredential\.(untrusted|expired)$|^timeStamp\./

/**
 * Reads a PDF's C2PA manifest store through @tanba/c2pa, read-only. That package runs the
 * native reader in a child process, so a crash there becomes an error here, not a dead process.
 */
export async function readC2paMarker(input: Uint8Array, file: PdfFile, options: ExtractOptions): Promise<C2paFinding> {
  const present = hasC2paManifest(file)
  let summary: C2paSummary | null
  try {
    const { readC2pa } = await import('@tanba/c2pa')
    summary = await readC2pa(input, 'application/pdf', options.signal ? { signal: options.signal } : {})
  } catch (error) {
    if (isTanbaError(error) && error.code === 'TANBA_ABORTED') throw error
    const reason = `The C2PA manifest could not be read: ${(error as Error).message}`
    return {
      ...(present ? { marker: { standard: 'c2pa', carrier: CARRIER, aiMarked: false, valid: null, detail: reason } satisfies Marker } : {}),
      messages: present ? [{ rule: 'c2pa.unreadable', carrier: CARRIER, fatal: false, reason }] : [],
    }
  }
  if (!summary) {
    if (!present) return { messages: [] }
    return {
      marker: { standard: 'c2pa', carrier: CARRIER, aiMarked: false, valid: false, detail: 'A C2PA manifest attachment is present but the reader found no manifest store' },
      messages: [{ rule: 'c2pa.unreadable', carrier: CARRIER, fatal: false, reason: 'A C2PA manifest attachment is present but the reader found no manifest store' }],
    }
  }
  const active = summary.validationStatus.filter((s) => s.active)
  const integrity = active.filter((s) => !TRUST_CODES.test(s.code))
  const valid = integrity.length ? false : summary.trusted ? true : null
  const messages: ReportMessage[] = []
  for (const s of summary.validationStatus) {
    const integrityProblem = !TRUST_CODES.test(s.code)
    messages.push({
      rule: `c2pa.${s.code}`,
      carrier: CARRIER,
      fatal: false,
      reason: `C2PA ${s.active ? 'manifest' : 'ingredient manifest'}: ${s.code}${s.explanation ? ` (${s.explanation})` : ''}${integrityProblem && s.code.includes('Hash.mismatch') ? '; the file changed after the C2PA manifest was signed' : ''}`,
    })
  }
  const signer = summary.signature ? [summary.signature.commonName, summary.signature.issuer].filter(Boolean).join(', ') : 'unknown signer'
  return {
    marker: {
      standard: 'c2pa',
      carrier: CARRIER,
      aiMarked: summary.aiGenerated,
      valid,
      value: {
        activeManifest: summary.activeManifest,
        claimGenerator: summary.claimGenerator,
        digitalSourceTypes: summary.digitalSourceTypes,
        signature: summary.signature,
        validationState: summary.validationState,
        codes: summary.validationStatus.map((s) => s.code),
      },
      detail: `C2PA manifest by ${summary.claimGenerator ?? 'unknown software'}, signed by ${signer}${summary.digitalSourceTypes.length ? `, digital source type ${summary.digitalSourceTypes.join(', ')}` : ''}${summary.validationStatus.length ? ` (${[...new Set(summary.validationStatus.map((s) => s.code))].join(', ')})` : ''}`,
    },
    messages,
    fields: summary,
  }
}
