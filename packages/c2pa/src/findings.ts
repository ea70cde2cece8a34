import { C2PA_RULES, InvalidOptionError, isTanbaError, type ExtractOptions } from '@tanba/core'
import { readC2pa } from './c2pa.js'
import type { C2paSummary } from './summary.js'
import { c2paFindingsFromSummary, type C2paFindings } from './summary-findings.js'

export type { C2paFindings } from './summary-findings.js'

export interface ExtractC2paOptions {
  /** The carrier name in markers and messages (default "c2pa"), e.g. "c2pa:pdf-af". */
  carrier?: string
  /**
   * The adapter saw a C2PA carrier in the file. When the reader then fails or finds nothing,
   * the report says a manifest is present but unreadable instead of staying silent.
   */
  present?: boolean
}

/** `adapterOptions.c2pa.fetchRemote`: let the reader fetch a remote manifest (default false: nothing is fetched). */
export function c2paFetchRemote(options: Pick<ExtractOptions, 'adapterOptions'>): boolean {
  const value = (options.adapterOptions.c2pa as { fetchRemote?: unknown } | undefined)?.fetchRemote
  if (value === undefined) return false
  if (typeof value !== 'boolean') throw new InvalidOptionError(`Expected adapterOptions.c2pa.fetchRemote to be true or false but received ${JSON.stringify(value)}`, { details: { option: 'adapterOptions.c2pa.fetchRemote' } })
  return value
}

/**
 * PEM trust anchors for C2PA validation: `adapterOptions.c2pa.trustAnchors` when given,
 * else the certificates of the verifier's trust store.
 */
export function c2paTrustAnchors(options: Pick<ExtractOptions, 'adapterOptions' | 'trust'>): string | undefined {
  const explicit = (options.adapterOptions.c2pa as { trustAnchors?: unknown } | undefined)?.trustAnchors
  if (explicit !== undefined) {
    if (typeof explicit !== 'string') throw new InvalidOptionError('Expected adapterOptions.c2pa.trustAnchors to be PEM text', { details: { option: 'adapterOptions.c2pa.trustAnchors' } })
    return explicit
  }
  const pem = options.trust?.certificatesPem()
  return pem ? pem : undefined
}

/**
 * Reads a file's C2PA manifest store and turns it into report material, the same way for
 * every adapter: one "c2pa" marker (valid = the manifest is intact; trust is reported apart),
 * one non-fatal message per validation code, and the Tanba label from the `tanba.label`
 * assertion as a label copy. Reader failures become non-fatal messages, never exceptions
 * (except an abort).
 */
export async function extractC2pa(bytes: Uint8Array, mediaType: string, options: ExtractOptions, extra: ExtractC2paOptions = {}): Promise<C2paFindings> {
  const carrier = extra.carrier ?? 'c2pa'
  const out: C2paFindings = { markers: [], labels: [], messages: [], summary: null, fields: null }
  const trustAnchors = c2paTrustAnchors(options)
  const fetchRemote = c2paFetchRemote(options)
  let summary: C2paSummary | null
  try {
    summary = await readC2pa(bytes, mediaType, {
      ...(trustAnchors ? { trustAnchors } : {}),
      ...(fetchRemote ? { fetchRemote } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    })
  } catch (error) {
    if (isTanbaError(error) && error.code === 'TANBA_ABORTED') throw error
    const remote = isTanbaError(error) ? error.details?.remoteManifest : undefined
    if (typeof remote === 'string') {
      // A reference, not a manifest: report the marker so a verifier knows provenance exists elsewhere.
      const reason = `The file refers to a remote C2PA manifest at ${remote}; it was not fetched (set adapterOptions.c2pa.fetchRemote to allow it)`
      out.markers.push({ standard: 'c2pa', carrier, aiMarked: false, valid: null, value: { remoteManifest: remote, fetched: false }, detail: reason })
      out.messages.push(C2PA_RULES.message('c2pa.remote-manifest', reason, { carrier }))
      return out
    }
    const code = isTanbaError(error) ? error.code : 'TANBA_DEPENDENCY_FAILED'
    const reason = `The C2PA manifest could not be read (${code}): ${(error as Error).message}`
    if (extra.present || code !== 'TANBA_UNSUPPORTED_FORMAT') {
      out.messages.push(C2PA_RULES.message(code === 'TANBA_DEPENDENCY_FAILED' || code === 'TANBA_DEPENDENCY_MISSING' ? 'c2pa.failed' : 'c2pa.unreadable', reason, { carrier }))
    }
    if (extra.present) out.markers.push({ standard: 'c2pa', carrier, aiMarked: false, valid: false, detail: reason })
    return out
  }
  if (!summary) {
    if (extra.present) {
      const reason = `A C2PA carrier (${carrier}) is present but the C2PA reader found no manifest store in it`
      out.markers.push({ standard: 'c2pa', carrier, aiMarked: false, valid: false, detail: reason })
      out.messages.push(C2PA_RULES.message('c2pa.unreadable', reason, { carrier }))
    }
    return out
  }
  const found = c2paFindingsFromSummary(summary, carrier)
  out.summary = found.summary
  out.fields = found.fields
  out.markers.push(...found.markers)
  out.labels.push(...found.labels)
  out.messages.push(...found.messages)
  return out
}
