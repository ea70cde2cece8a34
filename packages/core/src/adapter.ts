import type { Limits } from './limits.js'
import type { Label, LabelBinding, LabelNotice, LabelWatermark, Origin, ProfileId, UnsignedLabel } from './label.js'
import type { Marker, ReportMessage, WatermarkReport } from './report.js'
import type { Signer } from './crypto/signer.js'
import type { TanbaError } from './errors.js'
import type { TrustStore } from './crypto/trust.js'

/** See StampOptions.c2pa. */
export type C2paPolicy = 'required' | 'preferred'

export type MediaKind = 'text' | 'image' | 'pdf' | 'audio' | 'video'

/** One file format an adapter knows. Static data: detection never loads a media library. */
export interface FormatInfo {
  /** Short stable id: "jpeg", "png", "pdf", "mp3", "markdown", ... */
  id: string
  kind: MediaKind
  /** Canonical media type first. */
  mediaTypes: readonly string[]
  /** Lower-case, without the dot. */
  extensions: readonly string[]
  /** Magic-byte test on the first bytes of the file (4 KiB, plus any leading ID3v2 tag: see `sniffWindow`). */
  sniff?: (head: Uint8Array) => boolean
  /** When false, the format is recognised but stamping/verifying throws UnsupportedFormatError. */
  supported: boolean
  /** Why it is unsupported, or what is limited. */
  note?: string
  /** The default stamp cannot put the perceivable notice into this format: why, and what to do instead. */
  noNotice?: string
  /**
   * C2PA as this adapter handles the format, where that differs from what the C2PA library supports
   * for its media type (`tanba formats` reads it): e.g. readable but not signed by default.
   */
  c2pa?: { read: boolean; sign: boolean; note?: string }
}

/** Everything an adapter needs to stamp one input. Built by core's `createStampContext`. */
export interface StampContext {
  format: FormatInfo
  origin: Origin
  /** The label without binding and signature; the adapter adds the binding through `sign`. */
  draft: Omit<UnsignedLabel, 'binding' | 'notice'>
  profiles: ProfileId[]
  /** The perceivable notice to apply, or null when the caller turned it off. */
  notice: ResolvedNotice | null
  /** Signs the draft with the given binding and notice record (and watermark record), returns the complete label. */
  sign(binding: LabelBinding, notice?: LabelNotice, extra?: { watermark?: LabelWatermark }): Promise<Label>
  signer: Signer
  /** C2PA embedding: off, or on with the signer (which must then hold an X.509 chain). */
  c2pa: boolean
  /** When C2PA is on and cannot be written: `required` fails the stamp, `preferred` reports it and writes the rest. */
  c2paPolicy: C2paPolicy
  limits: Limits
  signal?: AbortSignal
  /** Adapter-specific options, passed through untouched (e.g. `{ image: { placement: 'bottom' } }`). */
  adapterOptions: Record<string, unknown>
}

export interface NoticeLine {
  lang: string
  text: string
}

export interface ResolvedNotice {
  lines: NoticeLine[]
  /** Where the caller wants it; adapters map it to what their medium allows. */
  placement: 'start' | 'end' | 'both' | 'top' | 'bottom' | 'top-left' | 'top-right' | 'bottom-left' | 'bottom-right'
  /** Minimum text height as a fraction of the shortest side (the `cn` rule: 0.05). */
  minTextHeight: number
  /** All lines joined, as a single string for media with one line of text. */
  text: string
}

export interface StampResult {
  /** The stamped file. When the adapter built it as `parts`, they are joined on the first read. */
  bytes: Uint8Array
  /**
   * The same file as pieces in order, when the adapter built it that way: views into the input
   * (the untouched audio or image data) and the new pieces (tags, chunks). A file writer writes
   * them as they are (`writeFileAtomic` does), so a large file is never copied in memory.
   */
  parts?: readonly Uint8Array[]
  label: Label
  /** The carriers written, e.g. ["xmp", "c2pa", "tanba:png-itxt"]. */
  carriers: string[]
  /** Non-fatal notes (e.g. "C2PA skipped: format not signable"). */
  messages: ReportMessage[]
}

/** A Tanba label found in one carrier, decoded or not. */
export interface FoundLabel {
  carrier: string
  label?: Label
  /** Decoding or schema error for this copy. */
  error?: TanbaError
}

export interface ExtractOptions {
  limits: Limits
  signal?: AbortSignal
  /** Read C2PA manifests too (slower, uses the native addon where needed). */
  c2pa: boolean
  /** The verifier's trust store; adapters pass its certificates on (e.g. as C2PA trust anchors). */
  trust?: TrustStore
  adapterOptions: Record<string, unknown>
}

export interface Extraction {
  /** Every AI-disclosure marker found, Tanba's included (core fills Tanba markers' validity). */
  markers: Marker[]
  /** Every Tanba label copy found. */
  labels: FoundLabel[]
  /** Adapter findings that belong in the report (non-fatal problems, notes). */
  messages: ReportMessage[]
  /** Metadata fields relevant to AI disclosure, for `inspect` (field name → value). */
  fields: Record<string, unknown>
  /** The watermark detector's result, when the adapter looked for one. */
  watermark?: WatermarkReport
}

/** The contract every media adapter implements. */
export interface Adapter {
  readonly name: string
  readonly kind: MediaKind
  readonly formats: readonly FormatInfo[]
  stamp(input: Uint8Array, context: StampContext): Promise<StampResult>
  extract(input: Uint8Array, format: FormatInfo, options: ExtractOptions): Promise<Extraction>
  /** The essence digest (base64url SHA-256) under the label's binding method, or throws. */
  digest(input: Uint8Array, format: FormatInfo, binding: LabelBinding, options: ExtractOptions): Promise<string>
}

/** A registry entry: static format list plus a lazy loader, so heavy libraries load on demand. */
export interface AdapterEntry {
  readonly name: string
  readonly kind: MediaKind
  readonly formats: readonly FormatInfo[]
  load(): Promise<Adapter>
}
