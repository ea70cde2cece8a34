import type { Adapter, Asset, FormatInfo, OpenOptions, ReadOptions } from './adapter.js'
import { canonicalJson } from './codec.js'
import { verifyLabelSignature } from './crypto/label-signature.js'
import type { TrustStore } from './crypto/trust.js'
import { parseTc260, toIptc, toTc260 } from './derive.js'
import { errorOption, isTanbaError, throwIfAborted } from './errors.js'
import { isAiDigitalSourceType, type Label, type ProfileId } from './label.js'
import { resolveLimits, type Limits } from './limits.js'
import { evaluateProfile, PROFILES } from './profiles.js'
import type { LabelLedger } from './ledger.js'
import type { LedgerResolution, Marker, ReportMessage, VerificationReport, WatermarkReport } from './report.js'
import { CORE_RULES } from './core-rules.js'

export interface VerifyOptions {
  trust?: TrustStore
  /** Profiles to evaluate (default: the label's own profiles, else ["kz"]). */
  profiles?: ProfileId[]
  /** Read C2PA manifests (default true). */
  c2pa?: boolean
  /** Treat a valid but untrusted signature as invalid. */
  requireTrusted?: boolean
  limits?: Partial<Limits>
  signal?: AbortSignal
  adapterOptions?: Record<string, unknown>
  /** File name to put in the report. */
  file?: string
  /** Resolve a found watermark's payload to the signed label recorded at stamping. */
  ledger?: LabelLedger
}

/** How verify opens a file. */
export function openOptions(options: Pick<VerifyOptions, 'limits' | 'signal' | 'adapterOptions'>): OpenOptions {
  return {
    limits: resolveLimits(options.limits),
    adapterOptions: options.adapterOptions ?? {},
    ...(options.signal ? { signal: options.signal } : {}),
  }
}

/** What verify reads: C2PA (unless turned off) and the content's notices and watermarks; not the ordinary tags. */
export function verifyReadOptions(options: Pick<VerifyOptions, 'c2pa' | 'trust'>): ReadOptions {
  return { c2pa: options.c2pa ?? true, content: true, tags: false, ...(options.trust ? { trust: options.trust } : {}) }
}

/**
 * Opens `input` with an already-loaded adapter: the one parse every later step of this file uses
 * (`verifyAsset`, `stampAsset`). Throws a typed error when the file cannot be parsed.
 */
export async function openWith(adapter: Adapter, input: Uint8Array, format: FormatInfo, options: OpenOptions): Promise<Asset> {
  throwIfAborted(options.signal)
  return adapter.open(input, format, options)
}

/** A report for a file that could not be read at all. */
export function errorReport(error: unknown, format: Partial<FormatInfo> = {}, file?: string): VerificationReport {
  const code = isTanbaError(error) ? error.code : 'TANBA_INTERNAL'
  const message = error instanceof Error ? error.message : String(error)
  const option = errorOption(error)
  return {
    ...(file ? { file } : {}),
    mediaType: format.mediaTypes?.[0] ?? 'application/octet-stream',
    format: format.id ?? 'unknown',
    status: 'error',
    aiMarked: false,
    markers: [],
    label: null,
    signature: null,
    binding: null,
    profiles: {},
    messages: [CORE_RULES.message('input.unreadable', message)],
    error: { code, message, ...(option ? { option } : {}) },
  }
}

/**
 * Verifies bytes with an already-loaded adapter: opens the file once, extracts every marker,
 * checks the Tanba label's schema, signature, trust and binding, cross-checks the derived
 * carriers, and evaluates the profiles. Returns a report; throws only for programmer errors.
 */
export async function verifyWith(adapter: Adapter, input: Uint8Array, format: FormatInfo, options: VerifyOptions = {}): Promise<VerificationReport> {
  let asset: Asset
  try {
    asset = await openWith(adapter, input, format, openOptions(options))
  } catch (error) {
    if (isTanbaError(error) && error.code === 'TANBA_ABORTED') throw error
    return errorReport(error, format, options.file)
  }
  return verifyAsset(asset, options)
}

/** Verifies an opened file (see `verifyWith`); the asset's parse is reused for the binding. */
export async function verifyAsset(asset: Asset, options: VerifyOptions = {}): Promise<VerificationReport> {
  const format = asset.format
  let extraction
  try {
    throwIfAborted(options.signal)
    extraction = await asset.read(verifyReadOptions(options))
  } catch (error) {
    if (isTanbaError(error) && error.code === 'TANBA_ABORTED') throw error
    return errorReport(error, format, options.file)
  }
  const messages: ReportMessage[] = [...extraction.messages]
  const markers: Marker[] = [...extraction.markers]
  const found = extraction.labels
  let label: Label | null = null
  let signature: VerificationReport['signature'] = null
  let binding: VerificationReport['binding'] = null

  for (const copy of found) {
    if (copy.error) messages.push(CORE_RULES.message('label.undecodable', copy.error.message, { carrier: copy.carrier }))
  }
  const decoded = found.filter((f) => f.label)
  if (decoded.length) {
    label = decoded[0]!.label!
    const canon = canonicalJson(label)
    for (const other of decoded.slice(1)) {
      if (canonicalJson(other.label) !== canon) {
        messages.push(CORE_RULES.message('label.carriers-disagree', `The label in ${other.carrier} differs from the one in ${decoded[0]!.carrier}`, { carrier: other.carrier }))
      }
    }
    const sig = await verifyLabelSignature(label, { ...(options.trust ? { trust: options.trust } : {}) })
    signature = {
      valid: sig.valid,
      trusted: sig.trusted,
      trust: sig.trust,
      ...(sig.signer ? { signer: sig.signer } : {}),
      ...(sig.trustRule ? { trustRule: sig.trustRule } : {}),
      ...(sig.timestamp ? { timestamp: sig.timestamp } : {}),
      ...(sig.checkedAt ? { checkedAt: sig.checkedAt } : {}),
    }
    if (!sig.valid) messages.push(CORE_RULES.message('signature.invalid', `The label signature is invalid: ${sig.problem}`))
    else if (!sig.trusted) {
      messages.push(CORE_RULES.message('signature.untrusted', `The signature is valid but not trusted: ${sig.problem}`, { requireTrusted: options.requireTrusted }))
    }
    try {
      throwIfAborted(options.signal)
      const actual = await asset.digest(label.binding)
      binding = { valid: actual === label.binding.digest, method: label.binding.method, expected: label.binding.digest, actual }
      if (!binding.valid) messages.push(CORE_RULES.message('binding.mismatch', 'The content has changed since it was labelled: its digest no longer matches the label'))
    } catch (error) {
      if (isTanbaError(error) && error.code === 'TANBA_ABORTED') throw error
      binding = { valid: false, method: label.binding.method, expected: label.binding.digest }
      messages.push(CORE_RULES.message('binding.uncomputable', `The content digest could not be computed: ${(error as Error).message}`))
    }
    messages.push(...crossCheck(label, markers))
  } else if (found.length) {
    // Only broken copies: that is an invalid label, not an absent one.
  }

  const watermark = extraction.watermark
  let ledger: LedgerResolution | undefined
  if (watermark?.found) {
    markers.push({
      standard: 'watermark',
      carrier: `pixels:${watermark.method}`,
      aiMarked: true,
      valid: true,
      value: watermark,
      detail: `An invisible watermark (${watermark.method}, payload ${watermark.payload}, ${watermark.origin}, ${watermark.bitErrors}/${watermark.codedBits} bit errors corrected; false-positive bound ${watermark.falsePositiveBound.toExponential(1)})`,
    })
    if (!found.length) {
      messages.push(CORE_RULES.message('watermark.only', 'Only the invisible watermark was found: the file carries no label or other metadata marker (stripped or re-encoded), so the watermark alone says it is AI-made', { carrier: `pixels:${watermark.method}` }))
    } else if (label?.watermark && label.watermark.payload !== watermark.payload) {
      messages.push(CORE_RULES.message('watermark.mismatch', `The watermark's payload ${watermark.payload} is not the one the label records (${label.watermark.payload}): the pixels come from other labelled content`, { carrier: `pixels:${watermark.method}` }))
    }
    if (options.ledger) ledger = await resolveWatermarkInLedger(options.ledger, watermark, options)
  } else if (label?.watermark && watermark) {
    messages.push(CORE_RULES.message('watermark.not-found', `The label records a watermark (${label.watermark.method}) but the detector did not find it${label.watermark.detection === 'key' ? ' (it needs the organisation key)' : ''}`))
  }

  const labelOk = Boolean(label && signature?.valid && binding?.valid && !messages.some((m) => m.fatal))
  // Tanba markers: the adapter lists carriers; core decides their validity.
  const hasTanbaMarker = markers.some((m) => m.standard === 'tanba')
  for (const m of markers) if (m.standard === 'tanba') m.valid = found.find((f) => f.carrier === m.carrier)?.error ? false : labelOk
  if (!hasTanbaMarker) {
    for (const copy of found) markers.push({ standard: 'tanba', carrier: copy.carrier, aiMarked: true, valid: copy.error ? false : labelOk })
  }

  const aiMarked = markers.some((m) => m.aiMarked && m.valid !== false) || labelOk
  const status: VerificationReport['status'] = found.length === 0 ? 'unlabelled' : labelOk ? 'valid' : 'invalid'
  const profileIds = options.profiles?.length ? options.profiles : label?.profiles?.length ? label.profiles : (['kz'] as ProfileId[])
  const profiles: VerificationReport['profiles'] = {}
  for (const id of profileIds) {
    const profile = PROFILES[id]
    if (!profile) continue
    profiles[id] = evaluateProfile(profile, { kind: format.kind, markers, label: labelOk ? label : null, size: asset.size, ...(noticeTextOf(markers) ? { noticeText: noticeTextOf(markers)! } : {}) })
  }
  return {
    ...(options.file ? { file: options.file } : {}),
    mediaType: format.mediaTypes[0] ?? 'application/octet-stream',
    format: format.id,
    status,
    aiMarked,
    markers,
    label,
    signature,
    binding,
    profiles,
    messages,
    ...(watermark ? { watermark } : {}),
    ...(ledger ? { ledger } : {}),
  }
}

/** Looks a found watermark payload up in a ledger and checks the signature of what it returns (a ledger is not trusted). */
export async function resolveWatermarkInLedger(store: LabelLedger, watermark: WatermarkReport, options: VerifyOptions): Promise<LedgerResolution> {
  const candidates = (await store.findByWatermark(watermark.payload!)).filter((l) => l?.watermark?.payload === watermark.payload)
  const base = { source: store.name, bindingApplies: false as const, matches: candidates.length }
  if (!candidates.length) return { ...base, found: false, reason: `The ledger ${store.name} holds no label for watermark payload ${watermark.payload}` }
  let chosen: { label: Label; sig: Awaited<ReturnType<typeof verifyLabelSignature>> } | undefined
  for (const l of candidates) {
    const sig = await verifyLabelSignature(l, { ...(options.trust ? { trust: options.trust } : {}) })
    if (!chosen || (sig.valid && !chosen.sig.valid) || (sig.trusted && !chosen.sig.trusted)) chosen = { label: l, sig }
  }
  const { label, sig } = chosen!
  const signature = { valid: sig.valid, trusted: sig.trusted, trust: sig.trust, ...(sig.signer ? { signer: sig.signer } : {}) }
  const who = sig.signer?.subject ?? label.owner.name
  const reason = sig.valid
    ? `The watermark leads to a label signed by ${who} on ${label.created} (${label.origin}, ${label.system.name}); its signature is valid${sig.trusted ? ' and trusted' : ' but not trusted'}. Its binding cannot be checked: the content was transformed (re-encoded, scaled or cropped) after stamping`
    : `The ledger's label for this payload has an invalid signature (${sig.problem}): do not rely on it`
  return { ...base, found: true, label, signature, reason }
}

function noticeTextOf(markers: Marker[]): string | undefined {
  const texts = markers.filter((m) => m.standard === 'notice').map((m) => (m.value as { text?: string } | undefined)?.text).filter(Boolean)
  return texts.length ? texts.join('\n') : undefined
}

/** Reports derived carriers (TC260, IPTC) that disagree with the label. Non-fatal: others may have edited them. */
export function crossCheck(label: Label, markers: Marker[]): ReportMessage[] {
  const out: ReportMessage[] = []
  const expectedTc = toTc260(label)
  const expectedIptc = toIptc(label)
  for (const m of markers) {
    if (m.standard === 'tc260') {
      const tc = typeof m.value === 'string' || (m.value && typeof m.value === 'object') ? parseTc260(m.value as string) : null
      if (!tc) continue
      if (tc.ProduceID !== expectedTc.ProduceID || tc.ContentProducer !== expectedTc.ContentProducer || tc.Label !== expectedTc.Label) {
        out.push(CORE_RULES.message('carriers.disagree', `The TC260 label in ${m.carrier} does not match the Tanba label (ProduceID ${tc.ProduceID || '(empty)'} vs ${expectedTc.ProduceID})`, { carrier: m.carrier }))
      }
    } else if (m.standard === 'iptc' && typeof m.value === 'string' && isAiDigitalSourceType(m.value) !== true) {
      out.push(CORE_RULES.message('carriers.disagree', `The IPTC digital source type in ${m.carrier} (${m.value}) does not say AI, but the label does`, { carrier: m.carrier }))
    } else if (m.standard === 'iptc' && typeof m.value === 'string' && m.value !== expectedIptc.digitalSourceType) {
      out.push(CORE_RULES.message('carriers.disagree', `The IPTC digital source type in ${m.carrier} is ${m.value}; the label implies ${expectedIptc.digitalSourceType}`, { carrier: m.carrier }))
    }
  }
  return out
}
