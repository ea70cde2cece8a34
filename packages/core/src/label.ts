/**
 * The Tanba label, format version 1. See docs/spec/label-v1.md for the normative text
 * and ./schema/label-v1.schema.json for the JSON Schema the code validates against.
 */

export const LABEL_VERSION = 1 as const

export type Origin = 'generated' | 'modified'
export type SignatureAlgorithm = 'Ed25519' | 'ES256'
export type NoticeMethod = 'text' | 'overlay' | 'page-text' | 'audio-rhythm' | 'audio-speech' | 'none'
export type ProfileId = 'kz' | 'uz' | 'cn' | 'eu' | 'in' | 'us-ca'

export interface AiSystem {
  /** Product or system name, e.g. "Acme Image Studio". */
  name: string
  version?: string
  /** Model name or identifier, e.g. "acme-diffusion-3". */
  model?: string
}

/** The owner or holder of the AI system: the party the Kazakh law holds responsible. */
export interface Party {
  name: string
  /** A registry identifier, e.g. a Kazakh BIN or a TC260 producer code. */
  id?: string
  /** ISO 3166-1 alpha-2. */
  country?: string
  /** An e-mail address or URL. */
  contact?: string
}

export interface Distributor {
  name: string
  id?: string
}

export interface PromptInfo {
  text?: string
  writer?: string
}

/** The perceivable notice that was applied to the content. */
export interface LabelNotice {
  method: NoticeMethod
  /** BCP 47 language tags of the notice, in the order they appear. */
  langs: string[]
  /** Where it was put: "start", "end", "top-left", "bottom", "every-page", ... */
  placement?: string
  /** The notice text, when it differs from the built-in text for these languages. */
  text?: string
  /** For visual notices: text height as a fraction of the shortest side (0..1). */
  height?: number
}

/** An imperceptible watermark embedded in the content (images: @tanba/watermark). */
export interface LabelWatermark {
  /** The watermark method, e.g. "tanba.wm.ss/1". */
  method: string
  /** The embedded payload as lowercase hex (16 digits, 64 bits, for tanba.wm.ss/1). */
  payload: string
  /** "public": anyone can detect it; "key": detection needs the organisation's key. */
  detection: 'public' | 'key'
}

/** The digest of the media essence that the label is bound to. */
export interface LabelBinding {
  /** The adapter-defined essence definition, e.g. "tanba.text/1", "tanba.image.pixels/1". */
  method: string
  alg: 'sha-256'
  /** base64url, no padding. */
  digest: string
  /** Method-specific extent, e.g. the byte length of a PDF revision. */
  extent?: number
}

export interface LabelSignature {
  alg: SignatureAlgorithm
  /** The signer's key identifier (defaults to the public key thumbprint). */
  kid?: string
  /** The raw public key, base64url (Ed25519: 32 bytes; ES256: 33-byte compressed point). */
  pub?: string
  /** X.509 chain, leaf first, base64 DER (as in JWS x5c). */
  x5c?: string[]
  /**
   * RFC 3161 TimeStampToken (CMS ContentInfo), base64 DER, whose message imprint is the SHA-256 of
   * the raw signature bytes (the decoded `value`). Outside the signing input, like x5c.
   */
  tst?: string
  /** The signature, base64url (Ed25519: 64 bytes; ES256: r||s, 64 bytes). */
  value: string
}

export interface UnsignedLabel {
  tanba: typeof LABEL_VERSION
  /** Content identifier: a lowercase RFC 9562 UUID. */
  id: string
  /** Creation time, RFC 3339 UTC with second precision: 2026-01-18T09:30:00Z. */
  created: string
  origin: Origin
  system: AiSystem
  owner: Party
  distributor?: Distributor
  prompt?: PromptInfo
  notice?: LabelNotice
  /** The watermark embedded in the content before it was bound (so the binding covers the marked pixels). */
  watermark?: LabelWatermark
  profiles: ProfileId[]
  binding: LabelBinding
}

export interface Label extends UnsignedLabel {
  sig: LabelSignature
}

export const PROFILE_IDS: readonly ProfileId[] = ['kz', 'uz', 'cn', 'eu', 'in', 'us-ca']

// IPTC digital source type vocabulary (http://cv.iptc.org/newscodes/digitalsourcetype/)
export const IPTC_DST_BASE = 'http://cv.iptc.org/newscodes/digitalsourcetype/'
export const IPTC_DST = {
  trainedAlgorithmicMedia: `${IPTC_DST_BASE}trainedAlgorithmicMedia`,
  compositeWithTrainedAlgorithmicMedia: `${IPTC_DST_BASE}compositeWithTrainedAlgorithmicMedia`,
  compositeSynthetic: `${IPTC_DST_BASE}compositeSynthetic`,
  algorithmicMedia: `${IPTC_DST_BASE}algorithmicMedia`,
} as const

/** IPTC terms that say "made or changed by AI". */
export const AI_DIGITAL_SOURCE_TYPES: readonly string[] = [
  'trainedAlgorithmicMedia',
  'compositeWithTrainedAlgorithmicMedia',
  'compositeSynthetic',
  'algorithmicMedia',
]

/** The full IPTC URI for a label origin. */
export function digitalSourceTypeFor(origin: Origin): string {
  return origin === 'generated' ? IPTC_DST.trainedAlgorithmicMedia : IPTC_DST.compositeWithTrainedAlgorithmicMedia
}

/** True when an IPTC digital source type (full URI or bare term, any case of the base) denotes AI. */
export function isAiDigitalSourceType(value: string | undefined | null): boolean {
  if (!value) return false
  const term = value.trim().replace(/^https?:\/\/cv\.iptc\.org\/newscodes\/digitalsourcetype\//i, '')
  return AI_DIGITAL_SOURCE_TYPES.includes(term)
}
