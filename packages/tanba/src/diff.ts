// What a processing step (a CMS, a CDN, a re-encoder) did to the marks: two verification
// reports in, each BEFORE marker's fate out. Pure and portable: no node: imports.
import { evaluateProfile, PROFILES, type MediaKind, type Marker, type ProfileId, type ProfileResult, type VerificationReport } from '@tanba/core'

/** What became of one marker of BEFORE in AFTER. */
export type MarkFate = 'kept' | 'changed' | 'broken' | 'lost'

export interface MarkerDiff {
  fate: MarkFate
  standard: Marker['standard']
  /** The carrier in BEFORE. */
  carrier: string
  /** The carrier in AFTER when the marker moved (matched by standard only), or the same carrier. */
  afterCarrier?: string
  before: Pick<Marker, 'valid' | 'aiMarked'>
  after?: Pick<Marker, 'valid' | 'aiMarked'>
}

/**
 * The perceivable notice. "kept": AFTER still shows it (a notice marker, a verified label that
 * declares it, or content provably unchanged since stamping); "lost": BEFORE had a readable notice
 * marker and AFTER has none; "unverified": only BEFORE's label declared it (e.g. drawn into pixels)
 * and AFTER's content changed, so Tanba cannot tell; "none": BEFORE had no notice.
 */
export type NoticeFate = 'kept' | 'lost' | 'unverified' | 'none'

export interface RequiredLoss {
  profile: ProfileId
  /** The rule that passed in BEFORE and fails in AFTER, with its provision when the profile gives it. */
  failure: string
  citation?: string
}

export interface MarksDiff {
  beforeFile?: string
  afterFile?: string
  beforeStatus: VerificationReport['status']
  afterStatus: VerificationReport['status']
  /** One entry per BEFORE marker (the notice markers included), in BEFORE's order. */
  markers: MarkerDiff[]
  /** Markers in AFTER that match none of BEFORE's. */
  added: Array<Pick<Marker, 'standard' | 'carrier' | 'valid' | 'aiMarked'>>
  notice: { fate: NoticeFate; reason: string }
  /** The profiles compared. */
  profiles: ProfileId[]
  /** Rules of those profiles that BEFORE passed and AFTER fails. */
  requiredLost: RequiredLoss[]
}

export interface DiffMarksOptions {
  /** Profiles to compare (default: BEFORE's label's profiles, else ["kz"]). */
  profiles?: ProfileId[]
  /**
   * AFTER's content digest equals BEFORE's label binding (the node `diffFiles` computes it):
   * the content, and a notice drawn into it, is unchanged even when every label was stripped.
   */
  contentUnchanged?: boolean
}

/** Compares the marks of two verification reports of the same content before and after a processing step. */
export function diffMarks(before: VerificationReport, after: VerificationReport, options: DiffMarksOptions = {}): MarksDiff {
  const used = new Set<Marker>()
  const take = (pick: (m: Marker) => boolean): Marker | undefined => {
    const hit = after.markers.find((m) => !used.has(m) && pick(m))
    if (hit) used.add(hit)
    return hit
  }
  // Exact carrier matches first, so a marker that moved does not steal another's exact match.
  const exact = before.markers.map((b) => take((a) => a.standard === b.standard && a.carrier === b.carrier))
  const markers: MarkerDiff[] = before.markers.map((b, i) => {
    const a = exact[i] ?? take((m) => m.standard === b.standard)
    const base = { standard: b.standard, carrier: b.carrier, before: { valid: b.valid, aiMarked: b.aiMarked } }
    if (!a) return { fate: 'lost' as const, ...base }
    return { fate: fateOf(b, a), ...base, afterCarrier: a.carrier, after: { valid: a.valid, aiMarked: a.aiMarked } }
  })
  const added = after.markers.filter((m) => !used.has(m)).map((m) => ({ standard: m.standard, carrier: m.carrier, valid: m.valid, aiMarked: m.aiMarked }))
  const profiles = options.profiles?.length ? options.profiles : before.label?.profiles?.length ? before.label.profiles : (['kz'] as ProfileId[])
  const notice = noticeFate(before, after, options.contentUnchanged)
  // A notice shown to be still there (content unchanged) satisfies the notice rules in fact, even
  // when AFTER's profile check, lacking the label that declared it, cannot see it.
  const requiredLost = profiles.flatMap((id) => requiredLosses(id, before, after)).filter((r) => !(notice.fate === 'kept' && r.failure.startsWith('notice:')))
  return {
    ...(before.file !== undefined ? { beforeFile: before.file } : {}),
    ...(after.file !== undefined ? { afterFile: after.file } : {}),
    beforeStatus: before.status,
    afterStatus: after.status,
    markers,
    added,
    notice,
    profiles,
    requiredLost,
  }
}

function fateOf(b: Marker, a: Marker): MarkFate {
  if (b.valid !== false && a.valid === false) return 'broken'
  if (b.aiMarked && !a.aiMarked) return 'changed'
  if (stableJson(b.value) !== stableJson(a.value) || b.valid !== a.valid) return 'changed'
  return 'kept'
}

function declaresNotice(r: VerificationReport): boolean {
  return Boolean(r.label?.notice && r.label.notice.method !== 'none')
}

function noticeFate(before: VerificationReport, after: VerificationReport, contentUnchanged?: boolean): MarksDiff['notice'] {
  const hadMarker = before.markers.some((m) => m.standard === 'notice' && m.valid !== false)
  if (!hadMarker && !declaresNotice(before)) return { fate: 'none', reason: 'BEFORE carries no perceivable notice' }
  if (after.markers.some((m) => m.standard === 'notice' && m.valid !== false)) return { fate: 'kept', reason: 'AFTER still shows the notice' }
  if (after.status === 'valid' && declaresNotice(after)) return { fate: 'kept', reason: "AFTER's verified label declares the notice and its content is unchanged" }
  if (contentUnchanged) return { fate: 'kept', reason: "AFTER's content matches BEFORE's label binding: the notice drawn into it is unchanged" }
  if (hadMarker) return { fate: 'lost', reason: 'BEFORE shows a notice that AFTER does not' }
  return { fate: 'unverified', reason: 'Only the label declared the notice (it is drawn into the content) and the content changed: Tanba cannot tell whether the notice survived' }
}

const KIND_BY_PREFIX: Array<[string, MediaKind]> = [['image/', 'image'], ['audio/', 'audio'], ['video/', 'video'], ['application/pdf', 'pdf'], ['text/', 'text']]

function kindOf(r: VerificationReport): MediaKind | undefined {
  return KIND_BY_PREFIX.find(([prefix]) => r.mediaType.startsWith(prefix))?.[1]
}

function profileResult(id: ProfileId, r: VerificationReport): ProfileResult | undefined {
  const given = r.profiles[id]
  if (given) return given
  // Not evaluated by verify: evaluate it now from the report's markers.
  const kind = kindOf(r)
  const profile = PROFILES[id]
  if (!kind || !profile) return undefined
  return evaluateProfile(profile, { kind, markers: r.markers, label: r.status === 'valid' ? r.label : null })
}

function requiredLosses(id: ProfileId, before: VerificationReport, after: VerificationReport): RequiredLoss[] {
  const b = profileResult(id, before)
  const a = profileResult(id, after)
  if (!b || !a || a.pass) return []
  const failed = new Set(b.failures)
  return a.failures.flatMap((failure, i) => {
    if (failed.has(failure)) return []
    const detail = a.details?.[i]
    return [{ profile: id, failure: detail?.message ?? failure, ...(detail?.citation ? { citation: detail.citation } : {}) }]
  })
}

function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) : v,
  ) ?? 'undefined'
}
