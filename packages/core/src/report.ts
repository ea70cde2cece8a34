import type { Label, Origin, ProfileId } from './label.js'

export type VerificationStatus = 'valid' | 'invalid' | 'unlabelled' | 'error'

/** Which standard a marker belongs to. */
export type MarkerStandard =
  | 'tanba' // Tanba's signed label
  | 'c2pa' // a C2PA manifest store
  | 'iptc' // IPTC digital source type / AI fields in XMP or IPTC-IIM
  | 'tc260' // the TC260 / GB 45438 implicit label (AIGC)
  | 'ai-disclosure' // HTML meta ai-disclosure / AI-Disclosure header value
  | 'sd-parameters' // Stable Diffusion web UI PNG text chunk
  | 'watermark' // an imperceptible watermark in the content itself
  | 'comfyui' // ComfyUI prompt/workflow PNG text chunks
  | 'notice' // the perceivable notice (text, page text, pixels, audio)
  | 'watermark' // an imperceptible watermark in the pixels (Tanba's tanba.wm.ss/1)
  | 'other'

export interface Marker {
  standard: MarkerStandard
  /** Where it sits, e.g. "xmp", "id3:TXXX:AIGC", "riff:AIGC", "c2pa:jumbf", "text:wrapper". */
  carrier: string
  /** True when this marker says the content is AI-made. */
  aiMarked: boolean
  /** true: verified intact; false: present but broken/invalid; null: present, not verifiable. */
  valid: boolean | null
  /** The decoded value (TC260 object, IPTC URI, C2PA summary, ...). */
  value?: unknown
  /** One line a person can read. */
  detail?: string
}

export interface ReportMessage {
  /** Stable rule id, e.g. "signature.invalid", "binding.mismatch" (docs/report.md lists them all). */
  rule: string
  /** The package whose rule set holds the rule, e.g. "@tanba/core", "@tanba/pdf" (see rules.ts). */
  source: string
  /** The carrier the message is about, when there is one. */
  carrier?: string
  /** A fatal message makes the label invalid. */
  fatal: boolean
  reason: string
}

export interface SignerInfo {
  alg: string
  kid?: string
  /** Subject of the leaf certificate, when the label carries a chain. */
  subject?: string
  issuer?: string
  /** Subject of the trust anchor that matched. */
  anchor?: string
  notAfter?: string
}

export interface SignatureResult {
  /** The signature verifies over the label's canonical form. */
  valid: boolean
  /** The signing key or its chain reaches the trust store. */
  trusted: boolean
  /** "trusted" | "untrusted" | "invalid" in one word. */
  trust: 'trusted' | 'untrusted' | 'invalid'
  signer?: SignerInfo
  /** The rule that made a valid signature untrusted, e.g. "certificate.leaf-eku", "certificate.validity". */
  trustRule?: string
  /** The RFC 3161 time-stamp the label carries (sig.tst), when it has one. */
  timestamp?: TimestampInfo
  /** The time the certificates were checked at: the trusted time-stamp's, else the time of verification. */
  checkedAt?: string
}

export interface TimestampInfo {
  /** The TSA's time (TSTInfo genTime), RFC 3339. */
  time?: string
  /** Subject of the TSA certificate. */
  tsa?: string
  /** The token covers this signature and its TSA chains to a trusted time-stamping root. */
  trusted: boolean
  problem?: string
}

export interface BindingResult {
  valid: boolean
  method: string
  expected: string
  actual?: string
}

export interface ProfileResult {
  pass: boolean
  /** What is missing, each with the provision it comes from in parentheses. */
  failures: string[]
  /** The profile sets no rules for this medium (e.g. `in` and `us-ca` for text): it passes trivially. */
  notApplicable?: true
  /** Each failure again, saying what is missing and the provision it comes from. */
  details?: Array<{ message: string; citation: string; basis: 'law' | 'standard' | 'guideline' | 'secondary' }>
}

/** What the watermark detector found (present whenever the adapter looked for one). */
export interface WatermarkReport {
  found: boolean
  /** The method looked for, e.g. "tanba.wm.ss/1". */
  method: string
  /** The decoded payload as 16 hex digits, when found. */
  payload?: string
  /** The payload's fields, when found. */
  version?: number
  origin?: Origin
  /** The 56-bit identifier derived from the label id (14 hex digits). */
  id?: string
  /** "public" or "key" (an organisation key's pattern matched). */
  detection?: 'public' | 'key'
  /** Coded bits whose hard decision disagreed with the decoded codeword, of `codedBits`. */
  bitErrors?: number
  codedBits: number
  /** 1 minus `falsePositiveBound` when found, else 0. */
  confidence: number
  /** Analytic upper bound on the chance that an unmarked image passes the detector as run. */
  falsePositiveBound: number
  /** Strength of the synchronisation peak (z-score); about 4-5 on unmarked images. */
  syncScore: number
  /** The frame that held the mark, for animated images. */
  frame?: number
}

/** A watermark payload resolved to a signed label through a label ledger. */
export interface LedgerResolution {
  /** The ledger held a label whose watermark payload matches. */
  found: boolean
  /** The ledger's name (e.g. the file path). */
  source: string
  label?: Label
  /** Who signed it and whether the signature verifies and is trusted. */
  signature?: SignatureResult
  /** Always false here: the label's binding covers the file as stamped, and this file was transformed since. */
  bindingApplies: false
  /** Labels in the ledger for this payload (more than one: ids collided or the ledger was edited). */
  matches: number
  reason: string
}

export interface VerificationReport {
  file?: string
  mediaType: string
  format: string
  status: VerificationStatus
  aiMarked: boolean
  markers: Marker[]
  label: Label | null
  signature: SignatureResult | null
  binding: BindingResult | null
  profiles: Partial<Record<ProfileId, ProfileResult>>
  messages: ReportMessage[]
  /** The watermark detector's result, for media the adapter searched (images). */
  watermark?: WatermarkReport
  /** The watermark's payload resolved through a label ledger (VerifyOptions.ledger). */
  ledger?: LedgerResolution
  /** Set when status is "error". */
  error?: { code: string; message: string; option?: string }
}
