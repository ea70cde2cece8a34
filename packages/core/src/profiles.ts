import type { MediaKind } from './adapter.js'
import type { Label, ProfileId } from './label.js'
import { noticeLanguageKey } from './notices.js'
import type { Marker, MarkerStandard, ProfileResult } from './report.js'

export interface KindRules {
  /** Each inner list is "any of these standards"; every group must be satisfied by a valid or unverifiable marker. */
  machineReadable: MarkerStandard[][]
  /** A perceivable notice is required. */
  notice: boolean
  /** Languages the notice must include (all of them). */
  noticeLanguages: string[]
  /** For visual notices: minimum text height as a fraction of the shortest side. */
  minTextHeight?: number
  /** Required words: every group must have one member present in the notice text. */
  noticeWords?: string[][]
}

export interface Profile {
  id: ProfileId
  name: string
  /** The legal basis, for messages. */
  basis: string
  /** Default notice languages, in display order. */
  languages: string[]
  rules: Record<MediaKind, KindRules>
}

const signedOrStandard: MarkerStandard[] = ['tanba', 'c2pa', 'iptc', 'tc260']

function sameForAll(rules: KindRules, overrides: Partial<Record<MediaKind, Partial<KindRules>>> = {}): Record<MediaKind, KindRules> {
  const kinds: MediaKind[] = ['text', 'image', 'pdf', 'audio', 'video']
  return Object.fromEntries(kinds.map((k) => [k, { ...rules, ...overrides[k] }])) as Record<MediaKind, KindRules>
}

export const PROFILES: Readonly<Record<ProfileId, Profile>> = Object.freeze({
  kz: {
    id: 'kz',
    name: 'Kazakhstan',
    basis: 'Law No. 230-VIII "On Artificial Intelligence", art. 21',
    languages: ['kk', 'ru'],
    rules: sameForAll({ machineReadable: [signedOrStandard], notice: true, noticeLanguages: ['kk', 'ru'] }),
  },
  uz: {
    id: 'uz',
    name: 'Uzbekistan',
    basis: 'Law "On Informatization" as amended by ZRU-1115',
    languages: ['uz', 'ru'],
    rules: sameForAll({ machineReadable: [signedOrStandard], notice: true, noticeLanguages: ['uz'] }),
  },
  cn: {
    id: 'cn',
    name: 'China',
    basis: 'CAC labelling measures and GB 45438-2025',
    languages: ['zh'],
    rules: sameForAll(
      {
        machineReadable: [['tc260']],
        notice: true,
        noticeLanguages: ['zh'],
        noticeWords: [['人工智能', 'AI'], ['生成', '合成']],
      },
      { image: { minTextHeight: 0.05 }, pdf: {} },
    ),
  },
  eu: {
    id: 'eu',
    name: 'European Union',
    basis: 'AI Act art. 50 and the Code of Practice on marking and labelling',
    languages: ['en'],
    rules: sameForAll({
      // Signed provenance plus a second machine-readable layer.
      machineReadable: [['tanba', 'c2pa'], ['iptc', 'tc260', 'c2pa', 'tanba']],
      notice: true,
      noticeLanguages: ['en'],
    }),
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
}

/**
 * Evaluates one profile against what verification found. A marker counts when it says
 * "AI" and is not known to be broken; distinct groups need distinct markers.
 */
export function evaluateProfile(profile: Profile, input: ProfileInput): ProfileResult {
  const rules = profile.rules[input.kind]
  const failures: string[] = []
  const usable = input.markers.filter((m) => m.aiMarked && m.valid !== false)
  const used = new Set<Marker>()
  for (const group of rules.machineReadable) {
    const hit = usable.find((m) => group.includes(m.standard) && !used.has(m))
    if (hit) used.add(hit)
    else failures.push(`machine-readable: expected a valid ${group.join(' or ')} marker`)
  }
  if (rules.notice) {
    const noticeMarkers = usable.filter((m) => m.standard === 'notice')
    const declared = input.label?.notice && input.label.notice.method !== 'none' ? input.label.notice : undefined
    if (!noticeMarkers.length && !declared) {
      failures.push('notice: expected a perceivable notice')
    } else {
      const langs = new Set<string>([
        ...(declared?.langs ?? []).map(noticeLanguageKey),
        ...noticeMarkers.flatMap((m) => ((m.value as { langs?: string[] } | undefined)?.langs ?? []).map(noticeLanguageKey)),
      ])
      for (const lang of rules.noticeLanguages) if (!langs.has(lang)) failures.push(`notice: expected the notice in language "${lang}"`)
      const text = [input.noticeText ?? '', declared?.text ?? '', ...noticeMarkers.map((m) => String((m.value as { text?: string } | undefined)?.text ?? ''))].join('\n')
      for (const words of rules.noticeWords ?? []) {
        // Built-in texts satisfy the word rules by construction; custom text must be checked.
        if (text.trim() && !words.some((w) => text.includes(w))) failures.push(`notice: expected one of ${words.map((w) => `"${w}"`).join(', ')} in the notice text`)
      }
      if (rules.minTextHeight && declared && (input.kind === 'image') && (declared.height ?? 0) + 1e-9 < rules.minTextHeight) {
        failures.push(`notice: expected text height at least ${rules.minTextHeight * 100}% of the shortest side, found ${((declared.height ?? 0) * 100).toFixed(1)}%`)
      }
    }
  }
  return { pass: failures.length === 0, failures }
}
