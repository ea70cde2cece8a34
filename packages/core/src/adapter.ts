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

/** What every step on one opened file shares. */
export interface OpenOptions {
  limits: Limits
  signal?: AbortSignal
  /** Adapter-specific options, passed through untouched (e.g. `{ pdf: { password } }`). */
  adapterOptions: Record<string, unknown>
}

/**
 * What `Asset.read` looks at beyond the carriers themselves. Each of these costs a decode, a
 * library or a process, so the caller asks for it: the SDK's look for an earlier label before
 * stamping turns them all off, `verify` reads what a verdict needs, `inspect` reads everything.
 */
export interface ReadOptions {
  /** Read and validate C2PA manifests (through @tanba/c2pa). */
  c2pa: boolean
  /** The verifier's trust store; adapters pass its certificates on (e.g. as C2PA trust anchors). */
  trust?: TrustStore
  /** Decode the content to find perceivable notices and watermarks (default true). */
  content?: boolean
  /** Read ordinary tags for `inspect`, e.g. through music-metadata (default true). */
  tags?: boolean
}

/** The options of one read of an opened file: how it was opened plus what the read looks at. */
export type ExtractOptions = OpenOptions & ReadOptions

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

/**
 * One input file, parsed once by `Adapter.open`. Everything later steps need is answered from that
 * parse: the carriers (`read`), the essence digest under a binding method (`digest`) and, for
 * adapters that write, the stamp. Nothing here modifies the input.
 */
export interface Asset {
  readonly format: FormatInfo
  /** The file's size in bytes. */
  readonly size: number
  /** Every marker, label copy, message and field the file's carriers hold. */
  read(options: ReadOptions): Promise<Extraction>
  /** The essence digest (base64url SHA-256) under the label's binding method, or throws. */
  digest(binding: LabelBinding): Promise<string>
  /** Stamps the file; present exactly when the adapter's `capabilities.stamp` is true. */
  stamp?(context: StampContext): Promise<StampResult>
}

/** What an adapter can do, known before any file is opened. */
export interface AdapterCapabilities {
  /** The adapter writes labels (read-only adapters, such as the browser's, leave `Asset.stamp` out). */
  stamp: boolean
}

/**
 * The contract every media adapter implements: `open` parses a file once into an Asset; core
 * decides everything else (label checks, trust, profiles) from what the asset answers.
 */
export interface Adapter {
  readonly name: string
  readonly kind: MediaKind
  readonly formats: readonly FormatInfo[]
  readonly capabilities: AdapterCapabilities
  /** Parses `input` as `format` (throws a typed error when it cannot). The asset keeps a view of `input`: do not change its bytes meanwhile. */
  open(input: Uint8Array, format: FormatInfo, options: OpenOptions): Promise<Asset>
}

/** A registry entry: static format list plus a lazy loader, so heavy libraries load on demand. */
export interface AdapterEntry {
  readonly name: string
  readonly kind: MediaKind
  readonly formats: readonly FormatInfo[]
  load(): Promise<Adapter>
}
