import { isAiDigitalSourceType } from '@tanba/core'

/** Label of the assertion that carries the signed Tanba label inside a C2PA manifest. */
export const TANBA_LABEL_ASSERTION = 'tanba.label'

/**
 * C2PA's own AI digital source type for output that is data, not media (C2PA 2.2, §18.14.4.5
 * "Digital Source Type"), and the bare form 1.3–2.1 used, deprecated by 2.2 (Appendix C, Table 19).
 * Media Tanba stamps keeps the IPTC trainedAlgorithmicMedia terms, as the same section says.
 */
export const C2PA_AI_SOURCE_TYPES: readonly string[] = ['http://c2pa.org/digitalsourcetype/trainedAlgorithmicData', 'c2pa.trainedAlgorithmicData']

/** An AI digital source type: an IPTC AI term or C2PA's trainedAlgorithmicData. */
export function isAiSourceType(value: string | undefined): boolean {
  return isAiDigitalSourceType(value) || (value !== undefined && C2PA_AI_SOURCE_TYPES.includes(value.trim()))
}

/**
 * Assertion labels some writers use for a structured AI disclosure (model, oversight). C2PA 2.2 to
 * 2.4 define no such assertion (checked against the spec text and its 2.3/2.4 assertion lists), so
 * Tanba does not write one in the reserved `c2pa.` namespace; it reads one when another tool wrote it.
 */
const AI_DISCLOSURE_LABEL = /^c2pa\.ai[-_]disclosure(\.v\d+)?$/

/** One validation code reported by the C2PA reader. */
export interface C2paStatusEntry {
  /** C2PA validation code, e.g. "signingCredential.untrusted", "assertion.dataHash.mismatch". */
  code: string
  explanation?: string
  /** JUMBF URI the code is about. */
  url?: string
  /** Label of the manifest the code is about, when the URI names one. */
  manifest?: string
  /** True when the code is about the active manifest (false: about an ingredient's manifest). */
  active: boolean
}

export interface C2paSignatureInfo {
  alg?: string
  /** Issuer organisation of the signing certificate. */
  issuer?: string
  /** Common name of the signing certificate. */
  commonName?: string
  certSerialNumber?: string
  /** Signing time from a trusted time-stamp, when the manifest has one (ISO 8601). */
  time?: string
}

export interface C2paAction {
  action: string
  digitalSourceType?: string
  /** Name (and version) of the software that performed the action. */
  softwareAgent?: string
  description?: string
}

export interface C2paIngredient {
  title?: string
  /** "parentOf", "componentOf" or "inputTo". */
  relationship?: string
  format?: string
  /** Label of the ingredient's own manifest in this store, when it carried one. */
  activeManifest?: string
}

/** One manifest of the store, reduced to what AI disclosure needs. */
export interface C2paManifestSummary {
  label: string
  claimGenerator?: string
  title?: string
  format?: string
  claimVersion?: number
  signature?: C2paSignatureInfo
  actions: C2paAction[]
  /** Digital source types of the c2pa.actions in this manifest (created, edited, ...), in order, unique. */
  digitalSourceTypes: string[]
  /** True when one of those is an AI term (trainedAlgorithmicMedia, compositeWithTrainedAlgorithmicMedia, ...). */
  aiGenerated: boolean
  ingredients: C2paIngredient[]
  /** Data of the `tanba.label` assertion (the signed Tanba label object), when present. */
  tanbaLabel?: unknown
  /** Data of a `c2pa.ai-disclosure` assertion another writer put in (not a C2PA 2.2–2.4 assertion), when present. */
  aiDisclosure?: unknown
}

/** Plain-JSON summary of a C2PA manifest store. Fields at the top level describe the active manifest. */
export interface C2paSummary {
  activeManifest: string | null
  claimGenerator: string | null
  title: string | null
  /** Media type recorded in the claim; null for v2 claims (such as Tanba's), which no longer record it. */
  format: string | null
  signature: C2paSignatureInfo | null
  /** The reader's overall verdict: "trusted" (valid and chained to a trust anchor), "valid", "invalid"; null if not given. */
  validationState: 'trusted' | 'valid' | 'invalid' | null
  /** The active manifest's signing certificate chains to a configured trust anchor. */
  trusted: boolean
  /** Every failure code the reader reported, for the active manifest and its ingredients. */
  validationStatus: C2paStatusEntry[]
  /** Informational codes for the active manifest (e.g. "timeStamp.untrusted"). */
  informational: C2paStatusEntry[]
  actions: C2paAction[]
  digitalSourceTypes: string[]
  /** The active manifest declares AI generation or AI modification. */
  aiGenerated: boolean
  /** Some manifest in the store (the active one or an ingredient's) declares AI. */
  aiInHistory: boolean
  ingredients: C2paIngredient[]
  /** Data of the active manifest's `tanba.label` assertion, or null. */
  tanbaLabel: unknown
  /** The active manifest's `c2pa.ai-disclosure` assertion data (another writer's), or null. */
  aiDisclosure: unknown
  /** Every manifest in the store, the active one first. */
  manifests: C2paManifestSummary[]
  /** The manifest store as the reader returned it (only with `raw: true`). */
  raw?: unknown
}

type Json = Record<string, unknown>

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : [])

function compact<T extends Json>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T
}

function agentName(agent: unknown): string | undefined {
  if (typeof agent === 'string') return agent
  if (isObject(agent) && typeof agent.name === 'string') return agent.version ? `${agent.name}/${String(agent.version)}` : agent.name
  return undefined
}

function claimGeneratorOf(m: Json): string | undefined {
  const legacy = str(m.claim_generator)
  if (legacy) return legacy
  const info = arr(m.claim_generator_info).map(agentName).filter((n): n is string => !!n)
  return info.length ? info.join(' ') : undefined
}

function signatureOf(m: Json): C2paSignatureInfo | undefined {
  const s = m.signature_info
  if (!isObject(s)) return undefined
  return compact({
    alg: str(s.alg),
    issuer: str(s.issuer),
    commonName: str(s.common_name),
    certSerialNumber: str(s.cert_serial_number),
    time: str(s.time),
  })
}

function actionsOf(m: Json): C2paAction[] {
  const out: C2paAction[] = []
  for (const a of arr(m.assertions)) {
    if (!isObject(a) || typeof a.label !== 'string' || !/^c2pa\.actions(\.v\d+)?$/.test(a.label) || !isObject(a.data)) continue
    for (const action of arr(a.data.actions)) {
      if (!isObject(action) || typeof action.action !== 'string') continue
      out.push(
        compact({
          action: action.action,
          digitalSourceType: str(action.digitalSourceType),
          softwareAgent: agentName(action.softwareAgent),
          description: str(action.description),
        }),
      )
    }
  }
  return out
}

function manifestSummary(label: string, m: Json): C2paManifestSummary {
  const actions = actionsOf(m)
  const digitalSourceTypes = [...new Set(actions.map((a) => a.digitalSourceType).filter((d): d is string => !!d))]
  const tanba = arr(m.assertions).find((a) => isObject(a) && a.label === TANBA_LABEL_ASSERTION)
  const disclosure = arr(m.assertions).find((a) => isObject(a) && typeof a.label === 'string' && AI_DISCLOSURE_LABEL.test(a.label))
  return compact({
    label,
    claimGenerator: claimGeneratorOf(m),
    title: str(m.title),
    format: str(m.format),
    claimVersion: typeof m.claim_version === 'number' ? m.claim_version : undefined,
    signature: signatureOf(m),
    actions,
    digitalSourceTypes,
    aiGenerated: digitalSourceTypes.some((d) => isAiSourceType(d)) || isObject(disclosure),
    ingredients: arr(m.ingredients)
      .filter(isObject)
      .map((i) =>
        compact({ title: str(i.title), relationship: str(i.relationship), format: str(i.format), activeManifest: str(i.active_manifest) }),
      ),
    tanbaLabel: isObject(tanba) ? tanba.data : undefined,
    aiDisclosure: isObject(disclosure) ? disclosure.data : undefined,
  })
}

/** Label of the manifest a JUMBF URI such as `self#jumbf=/c2pa/<label>/c2pa.signature` points into. */
function manifestOfUrl(url: string | undefined): string | undefined {
  const match = url?.match(/^self#jumbf=\/c2pa\/([^/]+)/)
  return match?.[1]
}

function statusEntries(list: unknown, active: string | null): C2paStatusEntry[] {
  return arr(list)
    .filter(isObject)
    .filter((s) => typeof s.code === 'string')
    .map((s) => {
      const url = str(s.url)
      const manifest = manifestOfUrl(url)
      // Codes without a manifest in their URI (e.g. "assertion.action.malformed" on the claim) belong to the active one.
      return compact({ code: s.code as string, explanation: str(s.explanation), url, manifest, active: !manifest || manifest === active })
    })
}

/** Reduces the reader's manifest store JSON to a {@link C2paSummary}. */
export function summariseManifestStore(store: unknown, options: { raw?: boolean } = {}): C2paSummary {
  const s = isObject(store) ? store : {}
  const manifests = isObject(s.manifests) ? s.manifests : {}
  const active = str(s.active_manifest) ?? null
  const summaries = Object.entries(manifests)
    .filter((e): e is [string, Json] => isObject(e[1]))
    .map(([label, m]) => manifestSummary(label, m))
    .sort((a, b) => Number(b.label === active) - Number(a.label === active))
  const main = summaries.find((m) => m.label === active)
  const results = isObject(s.validation_results) && isObject(s.validation_results.activeManifest) ? s.validation_results.activeManifest : {}
  const state = str(s.validation_state)?.toLowerCase()
  const success = statusEntries(results.success, active)
  return {
    activeManifest: active,
    claimGenerator: main?.claimGenerator ?? null,
    title: main?.title ?? null,
    format: main?.format ?? null,
    signature: main?.signature ?? null,
    validationState: state === 'trusted' || state === 'valid' || state === 'invalid' ? state : null,
    trusted: state === 'trusted' || success.some((e) => e.code === 'signingCredential.trusted'),
    validationStatus: statusEntries(s.validation_status, active),
    informational: statusEntries(results.informational, active),
    actions: main?.actions ?? [],
    digitalSourceTypes: main?.digitalSourceTypes ?? [],
    aiGenerated: main?.aiGenerated ?? false,
    aiInHistory: summaries.some((m) => m.aiGenerated),
    ingredients: main?.ingredients ?? [],
    tanbaLabel: main?.tanbaLabel ?? null,
    aiDisclosure: main?.aiDisclosure ?? null,
    manifests: summaries,
    ...(options.raw ? { raw: store } : {}),
  }
}
