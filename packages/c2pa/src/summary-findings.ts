// The pure half of C2PA findings: a manifest store summary turned into report material. No
// reader here, so it runs anywhere (the browser entry uses it with a WebAssembly reader).
import { c2paValidationMessage, isTanbaError, parseLabel, type FoundLabel, type Marker, type ReportMessage } from '@tanba/core'
import type { C2paSummary } from './summary.js'

/** What one C2PA manifest store contributes to a verification report. */
export interface C2paFindings {
  markers: Marker[]
  labels: FoundLabel[]
  messages: ReportMessage[]
  /** The summary, or null when there is no manifest store. */
  summary: C2paSummary | null
  /** For `inspect`, under `fields.c2pa`: the same shape in every adapter; null without a readable store. */
  fields: C2paFields | null
}

/** Validation codes about the signer's standing, not the manifest's integrity. */
const TRUST_CODES = /^signingCredential\.(untrusted|expired)$|^timeStamp\./

/** The active manifest's failure codes that say it is broken (not merely untrusted), unique. */
export function integrityCodes(summary: C2paSummary): string[] {
  return [...new Set(summary.validationStatus.filter((s) => s.active && !TRUST_CODES.test(s.code)).map((s) => s.code))]
}

/** The one `inspect` shape every adapter puts under `fields.c2pa`. */
export interface C2paFields {
  activeManifest: string | null
  claimGenerator: string | null
  validationState: C2paSummary['validationState']
  trusted: boolean
  /** Common name (or issuer organisation) of the active manifest's signing certificate. */
  signer?: string
  digitalSourceTypes: string[]
  ingredients: C2paSummary['ingredients']
  /** Another writer's `c2pa.ai-disclosure` assertion (model, oversight), when the active manifest has one. */
  aiDisclosure?: unknown
  /** Number of manifests in the store (the active one and its ingredients'). */
  manifests: number
}

export function c2paFields(summary: C2paSummary): C2paFields {
  const signer = summary.signature?.commonName ?? summary.signature?.issuer
  return {
    activeManifest: summary.activeManifest,
    claimGenerator: summary.claimGenerator,
    validationState: summary.validationState,
    trusted: summary.trusted,
    ...(signer ? { signer } : {}),
    digitalSourceTypes: summary.digitalSourceTypes,
    ingredients: summary.ingredients,
    ...(summary.aiDisclosure !== null && summary.aiDisclosure !== undefined ? { aiDisclosure: summary.aiDisclosure } : {}),
    manifests: summary.manifests.length,
  }
}

/**
 * One "c2pa" marker (valid = the manifest is intact; trust is reported apart), one non-fatal
 * message per validation code, and the Tanba label from the `tanba.label` assertion as a label copy.
 */
export function c2paFindingsFromSummary(summary: C2paSummary, carrier = 'c2pa'): C2paFindings {
  const out: C2paFindings = { markers: [], labels: [], messages: [], summary, fields: c2paFields(summary) }
  const integrity = summary.validationStatus.filter((s) => s.active && !TRUST_CODES.test(s.code))
  const intact = integrity.length === 0
  const signer = summary.signature?.commonName ?? summary.signature?.issuer
  const dst = summary.digitalSourceTypes
  out.markers.push({
    standard: 'c2pa',
    carrier,
    aiMarked: summary.aiGenerated || summary.aiInHistory,
    valid: intact,
    value: {
      activeManifest: summary.activeManifest,
      claimGenerator: summary.claimGenerator,
      signer: summary.signature,
      digitalSourceTypes: dst,
      ...(summary.aiDisclosure !== null && summary.aiDisclosure !== undefined ? { aiDisclosure: summary.aiDisclosure } : {}),
      validationState: summary.validationState,
      trusted: summary.trusted,
      codes: summary.validationStatus.map((s) => s.code),
      ingredients: summary.ingredients,
      manifests: summary.manifests.map((m) => ({ label: m.label, claimGenerator: m.claimGenerator, digitalSourceTypes: m.digitalSourceTypes })),
    },
    detail: [
      `C2PA manifest${summary.claimGenerator ? ` by ${summary.claimGenerator}` : ''}`,
      signer ? `signed by ${signer}` : 'signer unknown',
      dst.length ? `digital source type ${dst.map((d) => d.replace(/^.*\//, '')).join(', ')}` : 'no digital source type',
      intact ? (summary.trusted ? 'intact, trusted' : 'intact, signer not trusted') : `broken (${integrity.map((s) => s.code).join(', ')})`,
    ].join('; '),
  })
  for (const s of summary.validationStatus) {
    out.messages.push(c2paValidationMessage(s.code, `C2PA ${s.active ? 'manifest' : 'ingredient manifest'}: ${s.code}${s.explanation ? ` (${s.explanation})` : ''}`, carrier))
  }
  if (intact && !summary.trusted && !summary.validationStatus.some((s) => s.active && s.code === 'signingCredential.untrusted')) {
    out.messages.push(c2paValidationMessage('signingCredential.untrusted', 'The C2PA manifest is intact, but its signer does not chain to a trusted root', carrier))
  }
  if (summary.tanbaLabel !== null && summary.tanbaLabel !== undefined) {
    const labelCarrier = `${carrier}:tanba.label`
    out.markers.push({ standard: 'tanba', carrier: labelCarrier, aiMarked: true, valid: null })
    try {
      out.labels.push({ carrier: labelCarrier, label: parseLabel(JSON.stringify(summary.tanbaLabel)) })
    } catch (error) {
      if (!isTanbaError(error)) throw error
      out.labels.push({ carrier: labelCarrier, error })
    }
  }
  return out
}
