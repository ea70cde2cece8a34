/** Label copies in text carriers: the compact copy in the invisible wrapper, and what verifiers need from it. */
import { C2PA_RULES, canonicalJson, decodeCompactLabel, encodeCompactLabel, indexOfBytes, InvalidLabelError, InvalidOptionError, isTanbaError, TooLargeError, type FoundLabel, type Label, type Limits, type Marker, type ReportMessage, type StampContext } from '@tanba/core'
import { encodeTextWrapper, type TextWrapper } from './wrapper.js'
import { TEXT_RULES } from './rules.js'

/** Options under `adapterOptions.text`. */
export interface TextAdapterOptions {
  /**
   * Put the X.509 chain (`sig.x5c`) into the invisible wrapper too. Default false: the
   * wrapper then stays within about 256 payload bytes, and a verifier trusts it through the
   * signer's public key (PEM/JWKS) rather than a root certificate. Markdown front matter
   * and the HTML script element always carry the chain.
   */
  certificates?: boolean
  /** Markdown and HTML: also append the invisible wrapper (default: Markdown yes, HTML no). */
  wrapper?: boolean
}

export function textOptions(adapterOptions: Record<string, unknown>): TextAdapterOptions {
  const raw = adapterOptions.text
  if (raw === undefined) return {}
  if (!raw || typeof raw !== 'object') throw new InvalidOptionError(`Expected adapterOptions.text to be an object but received ${JSON.stringify(raw)}`, { details: { option: 'adapterOptions.text' } })
  const o = raw as Record<string, unknown>
  for (const key of ['certificates', 'wrapper'] as const) {
    if (o[key] !== undefined && typeof o[key] !== 'boolean') {
      throw new InvalidOptionError(`Expected adapterOptions.text.${key} to be true or false but received ${JSON.stringify(o[key])}`, { details: { option: `adapterOptions.text.${key}` } })
    }
  }
  return o as TextAdapterOptions
}

/**
 * The label as the invisible wrapper carries it. `x5c` is not covered by the signature
 * (docs/spec/label-v1.md §4), so dropping it from the signed label leaves the signature valid:
 * one signature, a full copy for roomy carriers and a compact copy for the wrapper.
 */
export function wrapperLabel(label: Label, includeCertificates = false): Label {
  if (includeCertificates || !label.sig.x5c) return label
  const { x5c: _x5c, ...sig } = label.sig
  return { ...label, sig }
}

/** The invisible wrapper text for a label. */
export function labelWrapper(label: Label): string {
  return encodeTextWrapper(encodeCompactLabel(label))
}

/** Signs through the context and returns both the full label and the wrapper's copy. */
export async function signText(ctx: StampContext, method: string, digest: string, notice: Label['notice']): Promise<{ full: Label; compact: Label }> {
  const full = await ctx.sign({ method, alg: 'sha-256', digest }, notice)
  const compact = wrapperLabel(full, textOptions(ctx.adapterOptions).certificates)
  return { full, compact }
}

/** At most this many wrapper copies are decoded; the rest are only counted. */
const MAX_COPIES = 16
const AI_SOURCE_TYPES = ['trainedAlgorithmicMedia', 'compositeWithTrainedAlgorithmicMedia', 'compositeSynthetic', 'algorithmicMedia'].map((t) =>
  Uint8Array.from(t, (c) => c.charCodeAt(0)),
)

export interface CarrierFindings {
  labels: FoundLabel[]
  markers: Marker[]
  messages: ReportMessage[]
}

export function emptyFindings(): CarrierFindings {
  return { labels: [], markers: [], messages: [] }
}

/** Decodes every wrapper: Tanba copies (intact or broken), C2PA wrappers, unknown runs. */
export function readWrappers(wrappers: readonly TextWrapper[], limits: Limits, into: CarrierFindings = emptyFindings()): CarrierFindings {
  const tanba = wrappers.filter((w) => w.kind === 'tanba')
  tanba.slice(0, MAX_COPIES).forEach((w, i) => {
    const carrier = i === 0 ? 'text:wrapper' : `text:wrapper#${i + 1}`
    const where = `at character ${w.start}`
    let copy: FoundLabel
    if (w.problem) {
      copy = { carrier, error: new InvalidLabelError(`The invisible Tanba wrapper ${where} is ${w.problem}`, { details: { offset: w.start } }) }
    } else if (w.payload!.length > limits.maxMetadataBytes) {
      copy = { carrier, error: new TooLargeError(`The invisible Tanba wrapper ${where} holds ${w.payload!.length} bytes; the limit is ${limits.maxMetadataBytes} (limits.maxMetadataBytes)`) }
    } else {
      try {
        copy = { carrier, label: decodeCompactLabel(w.payload!) }
      } catch (error) {
        const cause = isTanbaError(error) ? error : undefined
        copy = { carrier, error: cause ?? new InvalidLabelError(`The invisible Tanba wrapper ${where} could not be decoded`, { cause: error }) }
      }
    }
    into.labels.push(copy)
    into.markers.push({
      standard: 'tanba',
      carrier,
      aiMarked: true,
      valid: copy.error ? false : null,
      detail: `invisible wrapper ${where}, ${w.payload?.length ?? 0} payload bytes${w.problem ? ` (${w.problem})` : ''}`,
    })
  })
  if (tanba.length > 1) {
    into.messages.push(TEXT_RULES.message('text.wrapper-duplicated', `The text holds ${tanba.length} invisible Tanba wrappers where a labelled text has exactly one: it was probably joined from labelled pieces or stamped twice by another tool`, { carrier: 'text:wrapper' }))
  }
  const c2pa = wrappers.filter((w) => w.kind === 'c2pa')
  c2pa.slice(0, MAX_COPIES).forEach((w, i) => {
    const carrier = i === 0 ? 'text:c2pa-wrapper' : `text:c2pa-wrapper#${i + 1}`
    const size = w.payload?.length ?? 0
    const aiMarked = Boolean(w.payload && AI_SOURCE_TYPES.some((t) => indexOfBytes(w.payload!, t) >= 0))
    into.markers.push({
      standard: 'c2pa',
      carrier,
      aiMarked,
      valid: w.problem ? false : null,
      value: { version: w.version, declaredLength: w.declaredLength, manifestBytes: size },
      detail: w.problem ? `C2PA text wrapper ${w.problem}` : `C2PA text wrapper (C2PATXT) with a ${size}-byte manifest store${aiMarked ? ' naming an AI digital source type' : ''}`,
    })
    into.messages.push(
      w.problem
        ? C2PA_RULES.message('c2pa.wrapper-corrupt', `The C2PA text wrapper at character ${w.start} is ${w.problem}`, { carrier })
        : C2PA_RULES.message('c2pa.not-validated', `A C2PA text manifest store (${size} bytes) is present; Tanba reports it but does not validate C2PA text manifests`, { carrier }),
    )
  })
  const unknown = wrappers.filter((w) => w.kind === 'unknown').length
  if (unknown) {
    into.messages.push(TEXT_RULES.message('text.selector-runs', `${unknown} run(s) of invisible variation selectors after U+FEFF carry no known wrapper; runs at the very end are left out of the binding, runs anywhere else are bound`))
  }
  return into
}

/**
 * A compact copy has no `x5c`. When another carrier of the same file holds the same label
 * with its chain, the chain is shared, so the copies compare equal and the chain is checked.
 */
export function shareCertificates(labels: FoundLabel[]): void {
  const withChain = labels.find((f) => f.label?.sig.x5c?.length)?.label
  if (!withChain) return
  const reference = canonicalJson(wrapperLabel(withChain))
  for (const found of labels) {
    if (found.label && !found.label.sig.x5c && canonicalJson(found.label) === reference) {
      found.label = { ...found.label, sig: { ...found.label.sig, x5c: withChain.sig.x5c! } }
    }
  }
}

/** A non-fatal note for each decoded label bound with a version 1 method (docs/security.md lists what v1 leaves out). */
export function legacyBindingMessages(labels: readonly FoundLabel[], legacy: readonly string[]): ReportMessage[] {
  const method = labels.find((f) => f.label && legacy.includes(f.label.binding.method))?.label?.binding.method
  if (!method) return []
  return [
    TEXT_RULES.message('text.binding-v1', `The label uses the binding ${method}, which leaves parts of the text outside the signature (every <meta>, front matter, selector runs anywhere, the BOM); the visible text may differ from what was signed. Stamp it again to bind it with version 2`),
  ]
}
