// Jurisdiction profiles as data: every rule carries the provision it comes from and how sure we
// are of it (the law's own text, a guideline or code of practice, or a secondary source's
// reading). docs/profiles.md and the README's profile table are generated from this file
// (scripts/gen-profiles-doc.mjs); messages quote the citation.
import type { MediaKind } from './adapter.js'
import { parseTc260 } from './derive.js'
import type { Label, ProfileId } from './label.js'
import { noticeLanguageKey } from './notices.js'
import type { Marker, MarkerStandard, ProfileResult } from './report.js'

/** Where a rule comes from. */
export interface Citation {
  /** The instrument: "Law No. 230-VIII", "GB 45438-2025", "EU Code of Practice on marking and labelling". */
  source: string
  /** The provision: "art. 21", "§ 22757.3(b)", "Measure 1.1.2". */
  provision?: string
  /**
   * How the fact was established: `law` (the binding text itself), `standard` (a technical
   * standard the law points to), `guideline` (a code of practice or guide, not binding by
   * itself), `secondary` (a commentator's or news reading of a text we could not read first-hand).
   */
  basis: 'law' | 'standard' | 'guideline' | 'secondary'
  /** Checked on (YYYY-MM). */
  checked: string
  /** What a reader should know: a draft that differs from the final text, an interpretation. */
  note?: string
}

/** One machine-readable layer: any marker of these standards satisfies it (each marker satisfies one layer). */
export interface LayerRule {
  anyOf: MarkerStandard[]
  /** What the layer is, for messages: "signed provenance (Tanba or C2PA)". */
  what: string
  cite: Citation
  /** For text only: the layer is required from this many tokens on (estimated as UTF-8 bytes / 4). */
  minTokens?: number
}

export interface KindRules {
  /** Every layer must be satisfied by a distinct valid (or unverifiable) AI marker. */
  layers: LayerRule[]
  /** A perceivable notice is required, and why. */
  notice: Citation | null
  /** Languages the notice must include (all of them). */
  noticeLanguages: string[]
  /** For visual notices: minimum text height as a fraction of the shortest side. */
  minTextHeight?: { value: number; cite: Citation }
  /** Required words: every group must have one member present in the notice text. */
  noticeWords?: { groups: string[][]; cite: Citation }
  /** Where a time-based notice must be (audio, video): "start" = the notice opens the content. */
  noticeAt?: { placement: 'start'; cite: Citation }
  /** Label fields that must be present (California's latent disclosure). */
  labelFields?: { fields: LabelField[]; cite: Citation }
  /** The TC260 implicit label, where present, must follow the TC260 value rules. */
  tc260Values?: Citation
}

/** Fields of a verified label a rule can require. */
export type LabelField = 'owner.name' | 'system.name' | 'system.version' | 'created' | 'id'

export interface Profile {
  id: ProfileId
  name: string
  /** The legal basis, for messages. */
  basis: string
  /** Default notice languages, in display order. */
  languages: string[]
  /** What the profile does not check, or how it reads an unsettled rule. */
  notes: string[]
  rules: Record<MediaKind, KindRules | null>
}

const KINDS: readonly MediaKind[] = ['text', 'image', 'pdf', 'audio', 'video']
const ANY_MARK: MarkerStandard[] = ['tanba', 'c2pa', 'iptc', 'tc260']

const KZ_LAW: Citation = { source: 'Law No. 230-VIII "On Artificial Intelligence"', provision: 'art. 21', basis: 'law', checked: '2026-12' }
const UZ_LAW: Citation = {
  source: 'Law "On Informatization" as amended by ZRU-1115 (21 Jan 2026)',
  basis: 'secondary',
  checked: '2026-12',
  note: 'read through secondary sources; no implementing act on the format of the marking was found',
}
const CN_MEASURES: Citation = { source: 'CAC Measures for labelling AI-generated synthetic content (in force 1 Sep 2025)', provision: 'explicit labels', basis: 'law', checked: '2026-12' }
const GB45438 = (provision: string): Citation => ({ source: 'GB 45438-2025', provision, basis: 'standard', checked: '2026-12' })
const EU_ACT: Citation = { source: 'EU AI Act (Regulation 2024/1689)', provision: 'art. 50(2)', basis: 'law', checked: '2026-12' }
const EU_CODE = (provision: string, note?: string): Citation => ({
  source: 'EU Code of Practice on marking and labelling AI-generated content (final, 10 June 2026)',
  provision,
  basis: 'guideline',
  checked: '2026-12',
  ...(note ? { note } : {}),
})
const IN_RULES = (provision: string, note?: string): Citation => ({
  source: 'IT (Intermediary Guidelines and Digital Media Ethics Code) Amendment Rules, 2026 (notified 10 Feb 2026, in force 20 Feb 2026)',
  provision,
  basis: 'secondary',
  checked: '2026-12',
  ...(note ? { note } : {}),
})
const CA_ACT = (provision: string): Citation => ({
  source: 'California AI Transparency Act (SB 942, as amended by AB 853), Bus. & Prof. Code',
  provision,
  basis: 'secondary',
  checked: '2026-12',
  note: 'the section text as a code publisher and policy trackers give it; the chaptered bill was not read first-hand',
})

function perKind(build: (kind: MediaKind) => KindRules | null): Record<MediaKind, KindRules | null> {
  return Object.fromEntries(KINDS.map((k) => [k, build(k)])) as Record<MediaKind, KindRules | null>
}

export const PROFILES: Readonly<Record<ProfileId, Profile>> = Object.freeze({
  kz: {
    id: 'kz',
    name: 'Kazakhstan',
    basis: 'Law No. 230-VIII "On Artificial Intelligence", art. 21',
    languages: ['kk', 'ru'],
    notes: [
      'No implementing act on the technical format of the marking was found as of December 2026: any standard machine-readable marker counts, and the notice is in the state and the official language.',
    ],
    rules: perKind(() => ({ layers: [{ anyOf: ANY_MARK, what: 'a machine-readable AI marker', cite: KZ_LAW }], notice: KZ_LAW, noticeLanguages: ['kk', 'ru'] })),
  },
  uz: {
    id: 'uz',
    name: 'Uzbekistan',
    basis: 'Law "On Informatization" as amended by ZRU-1115',
    languages: ['uz', 'ru'],
    notes: ['No implementing act on the format of the marking was found as of December 2026; the rules follow Kazakhstan\'s shape.'],
    rules: perKind(() => ({ layers: [{ anyOf: ANY_MARK, what: 'a machine-readable AI marker', cite: UZ_LAW }], notice: UZ_LAW, noticeLanguages: ['uz'] })),
  },
  cn: {
    id: 'cn',
    name: 'China',
    basis: 'CAC labelling measures and GB 45438-2025',
    languages: ['zh'],
    notes: ['TC260 values are checked as GB 45438 and the TC260 practice guides write them: Label 1, 2 or 3; printable ASCII without space, quote or backslash.'],
    rules: perKind((kind) => ({
      layers: [{ anyOf: ['tc260'], what: 'the TC260 implicit label (AIGC)', cite: GB45438('implicit labels, metadata') }],
      notice: CN_MEASURES,
      noticeLanguages: ['zh'],
      noticeWords: { groups: [['人工智能', 'AI'], ['生成', '合成']], cite: GB45438('explicit labels: wording') },
      tc260Values: GB45438('implicit label fields'),
      ...(kind === 'image' ? { minTextHeight: { value: 0.05, cite: GB45438('image explicit label: text height') } } : {}),
    })),
  },
  eu: {
    id: 'eu',
    name: 'European Union',
    basis: 'AI Act art. 50 and the Code of Practice on marking and labelling (final, 10 June 2026)',
    languages: ['en'],
    notes: [
      'The Code is voluntary; it is what a provider signs to show compliance with art. 50(2). Its Measure 1.1 layers are applied as: signed, time-stamped metadata (Tanba or C2PA) and an imperceptible watermark for images; for text above 200 tokens a watermark is asked for, which Tanba does not make (its text wrapper is metadata), so that rule fails rather than pretend.',
      'The 200-token threshold is a secondary sources\' reading of the final Code.',
      'The Commission\'s optional "AI" icons (basic, fully AI-generated, partially AI-modified) are not required by the profile. For images, `--notice-icon basic|generated|modified|auto` draws Tanba\'s own versions before the notice text, and `--notice-icon FILE` places the official SVG or PNG file, which Tanba cannot ship or download (adapterOptions.image.icon / iconImage in the SDK). Stamping for eu also warns (profile.eu.watermark) when an image gets no watermark.',
    ],
    rules: perKind((kind) => ({
      layers: [
        { anyOf: ['tanba', 'c2pa'], what: 'digitally signed metadata (Tanba or C2PA)', cite: EU_CODE('Measure 1.1.1') },
        ...(kind === 'image' || kind === 'video'
          ? [{ anyOf: ['watermark'] as MarkerStandard[], what: kind === 'video' ? 'an imperceptible watermark (Tanba writes none for video yet)' : 'an imperceptible watermark', cite: EU_CODE('Measure 1.1.2') }]
          : kind === 'text'
            ? [{ anyOf: ['watermark'] as MarkerStandard[], what: 'an imperceptible text watermark (Tanba writes none for text)', cite: EU_CODE('Measure 1.1.2', 'free-form text above 200 tokens, per secondary sources'), minTokens: 200 }]
            : [{ anyOf: ['iptc', 'tc260', 'c2pa', 'tanba'] as MarkerStandard[], what: 'a second machine-readable layer', cite: EU_CODE('Measure 1.1', 'at least two layers; no watermark for this medium yet') }]),
      ],
      notice: EU_ACT,
      noticeLanguages: ['en'],
      ...(kind === 'audio' ? { noticeAt: { placement: 'start' as const, cite: EU_CODE('Section 2, audio-only content: an audible disclaimer at the start', 'secondary sources') } } : {}),
    })),
  },
  in: {
    id: 'in',
    name: 'India',
    basis: 'IT (Intermediary Guidelines and Digital Media Ethics Code) Amendment Rules, 2026',
    languages: ['en'],
    notes: [
      'The final rules (notified 10 February 2026) cover audio, visual and audio-visual "synthetically generated information"; text alone is not covered, so the profile has no text rules.',
      'The October 2025 draft asked for a label covering at least 10% of the display and the first 10% of an audio\'s duration; the notified rules ask for a prominent, visible label within the content and an audible disclosure at the start instead, so the 10% figures are not checked.',
      'Read through secondary sources (MeitY notification summaries); the Gazette text was not read first-hand.',
    ],
    rules: perKind((kind) =>
      kind === 'text'
        ? null
        : {
            layers: [{ anyOf: ANY_MARK, what: 'embedded metadata with a unique identifier', cite: IN_RULES('labelling and embedded metadata of synthetically generated information') }],
            notice: IN_RULES('a prominent label within the content (visible), or an audible disclosure'),
            noticeLanguages: ['en'],
            ...(kind === 'audio' ? { noticeAt: { placement: 'start' as const, cite: IN_RULES('audio: the disclosure at the beginning') } } : {}),
          },
    ),
  },
  'us-ca': {
    id: 'us-ca',
    name: 'California',
    basis: 'California AI Transparency Act (SB 942, as amended by AB 853), Bus. & Prof. Code §§ 22757-22757.4',
    languages: ['en'],
    notes: [
      'The latent disclosure applies to image, video and audio content (§ 22757.3(b)); text is not covered. The manifest (visible) disclosure is an option the provider must offer, so it is not required here.',
      'Operative from 2 August 2026 (AB 853). The free detection tool (§ 22757.2) is the provider\'s duty: Tanba\'s verifier can serve as one, but the profile cannot check that.',
    ],
    rules: perKind((kind) =>
      kind === 'text'
        ? null
        : {
            layers: [{ anyOf: ['tanba', 'c2pa'], what: 'a latent disclosure (permanent or extraordinarily difficult to remove metadata)', cite: CA_ACT('§ 22757.3(b)') }],
            notice: null,
            noticeLanguages: [],
            labelFields: { fields: ['owner.name', 'system.name', 'system.version', 'created', 'id'], cite: CA_ACT('§ 22757.3(b)(1)') },
          },
    ),
  },
})

export function getProfile(id: string): Profile | undefined {
  return (PROFILES as Record<string, Profile>)[id]
}

export interface ProfileInput {
  kind: MediaKind
  markers: readonly Marker[]
  /** The label, when it verified (signature valid and binding intact). */
  label: Label | null
  /** Text of a notice found in the content (text, page text), when the adapter can read it back. */
  noticeText?: string
  /** Size of the content in bytes (for text rules that start at a token count). */
  size?: number
}

/** A citation as a reader sees it: "EU Code of Practice …, Measure 1.1.2". */
export function citationText(c: Citation): string {
  return [c.source, c.provision].filter(Boolean).join(', ')
}

const FIELD_VALUE: Record<LabelField, (l: Label) => unknown> = {
  'owner.name': (l) => l.owner?.name,
  'system.name': (l) => l.system?.name,
  'system.version': (l) => l.system?.version ?? l.system?.model,
  created: (l) => l.created,
  id: (l) => l.id,
}
const FIELD_FLAG: Record<LabelField, string> = {
  'owner.name': '--owner',
  'system.name': '--generator',
  'system.version': '--model (or system.version)',
  created: 'the label time',
  id: 'the label id',
}

/**
 * Evaluates one profile against what verification found. A marker counts when it says "AI" and
 * is not known to be broken; distinct layers need distinct markers. Each failure names what is
 * missing and the provision it comes from.
 */
export function evaluateProfile(profile: Profile, input: ProfileInput): ProfileResult {
  const rules = profile.rules[input.kind]
  if (!rules) return { pass: true, failures: [], notApplicable: true }
  const failures: string[] = []
  const details: NonNullable<ProfileResult['details']> = []
  const fail = (what: string, cite: Citation, missing?: string) => {
    failures.push(what)
    details.push({ message: missing ? `${what}: missing ${missing}` : what, citation: citationText(cite), basis: cite.basis })
  }
  const usable = input.markers.filter((m) => m.aiMarked && m.valid !== false)
  const used = new Set<Marker>()
  for (const layer of rules.layers) {
    if (layer.minTokens && input.size !== undefined && input.size / 4 <= layer.minTokens) continue
    const hit = usable.find((m) => layer.anyOf.includes(m.standard) && !used.has(m))
    if (hit) {
      used.add(hit)
      continue
    }
    const taken = usable.filter((m) => layer.anyOf.includes(m.standard)).length > 0
    const others = taken ? ` (the ${[...used].map((m) => m.standard).join(', ')} marker already counts for another layer)` : ''
    fail(`machine-readable: expected a valid ${layer.anyOf.join(' or ')} marker`, layer.cite, `${layer.what}${others}`)
  }
  if (rules.tc260Values) {
    for (const m of input.markers.filter((x) => x.standard === 'tc260')) {
      const problem = tc260Problem(m.value)
      if (problem) fail(`machine-readable: the TC260 label in ${m.carrier} breaks the value rules: ${problem}`, rules.tc260Values)
    }
  }
  if (rules.labelFields) {
    if (!input.label) fail(`machine-readable: a verified label holding ${rules.labelFields.fields.join(', ')}`, rules.labelFields.cite)
    else for (const f of rules.labelFields.fields) if (!FIELD_VALUE[f](input.label)) fail(`label: missing ${f} (give ${FIELD_FLAG[f]})`, rules.labelFields.cite)
  }
  if (rules.notice) {
    const noticeMarkers = usable.filter((m) => m.standard === 'notice')
    const declared = input.label?.notice && input.label.notice.method !== 'none' ? input.label.notice : undefined
    if (!noticeMarkers.length && !declared) {
      fail('notice: expected a perceivable notice', rules.notice)
    } else {
      const langs = new Set<string>([
        ...(declared?.langs ?? []).map(noticeLanguageKey),
        ...noticeMarkers.flatMap((m) => ((m.value as { langs?: string[] } | undefined)?.langs ?? []).map(noticeLanguageKey)),
      ])
      for (const lang of rules.noticeLanguages) if (!langs.has(lang)) fail(`notice: expected the notice in language "${lang}"`, rules.notice)
      const text = [input.noticeText ?? '', declared?.text ?? '', ...noticeMarkers.map((m) => String((m.value as { text?: string } | undefined)?.text ?? ''))].join('\n')
      for (const words of rules.noticeWords?.groups ?? []) {
        // Built-in texts satisfy the word rules by construction; custom text must be checked.
        if (text.trim() && !words.some((w) => text.includes(w))) fail(`notice: expected one of ${words.map((w) => `"${w}"`).join(', ')} in the notice text`, rules.noticeWords!.cite)
      }
      const minHeight = rules.minTextHeight
      if (minHeight && declared && input.kind === 'image' && (declared.height ?? 0) + 1e-9 < minHeight.value) {
        fail(`notice: expected text height at least ${minHeight.value * 100}% of the shortest side, found ${((declared.height ?? 0) * 100).toFixed(1)}%`, minHeight.cite)
      }
      const at = rules.noticeAt
      if (at && declared?.placement && !['start', 'both'].includes(declared.placement)) fail(`notice: expected the notice at the start, found it at "${declared.placement}"`, at.cite)
    }
  }
  return { pass: failures.length === 0, failures, ...(details.length ? { details } : {}) }
}

// TC260 values: printable ASCII without space, double quote or backslash; Label 1, 2 or 3.
const TC260_VALUE = /^[\x21\x23-\x5b\x5d-\x7e]*$/

/** Why a TC260 implicit label breaks the value rules, or undefined when it follows them (or cannot be read). */
export function tc260Problem(value: unknown): string | undefined {
  let fields: Record<string, unknown> | undefined
  if (typeof value === 'string') fields = (parseTc260(value) as unknown as Record<string, unknown> | null) ?? undefined
  else if (value && typeof value === 'object') fields = value as Record<string, unknown>
  if (!fields) return undefined
  const problems: string[] = []
  const label = fields.Label
  if (label !== undefined && !['1', '2', '3'].includes(String(label))) problems.push(`Label is ${JSON.stringify(label)} (expected "1", "2" or "3")`)
  for (const [key, v] of Object.entries(fields)) {
    if (typeof v !== 'string') {
      if (v !== undefined && v !== null) problems.push(`${key} is not a string`)
      continue
    }
    if (!TC260_VALUE.test(v)) problems.push(`${key} holds characters outside printable ASCII without space, quote and backslash`)
  }
  return problems.length ? problems.join('; ') : undefined
}
