import type { Limits, ReportMessage } from '@tanba/core'
import type { EssenceParts } from './hash.js'

/** A text value found in one carrier of a file. */
export interface FoundText {
  /** Carrier name, e.g. "id3:TXXX:AIGC", "riff:AIGC", "vorbis:TANBA", "xmp:id3:PRIV". */
  carrier: string
  text: string
}

/** What a format reader found: Tanba-relevant carriers plus fields for `inspect`. */
export interface AudioRead {
  /** TC260 JSON texts. */
  tc260: FoundText[]
  /** Tanba label JSON texts. */
  tanba: FoundText[]
  /** XMP packets. */
  xmp: FoundText[]
  /** Embedded C2PA manifest stores seen structurally (carrier and byte size). */
  c2pa: { carrier: string; size: number }[]
  /** Stream facts and ordinary tags. */
  fields: Record<string, unknown>
  messages: ReportMessage[]
}

/** The carriers a writer puts into a file; `xmp` merges into the file's existing packet, if any. */
export interface CarrierPayload {
  tc260: string
  label: string
  xmp: (existing: string | undefined) => string
}

export interface WriteResult {
  /**
   * The new file as pieces in order: views into the input (the audio data, untouched) and the new
   * tags or chunks. The adapter joins them only when it must (C2PA signing); a file writer writes
   * them as they are, so a 100 MB file is not copied in memory to add a few kilobytes of tags.
   */
  parts: Uint8Array[]
  carriers: string[]
}

/** The decoded start (or end) of a stream, mixed to mono, for notice detection. */
export interface DecodedExcerpt {
  samples: Float32Array
  sampleRate: number
}

/** The audible notice to insert, rendered for the stream by `render`. */
export interface NoticeRequest {
  placement: 'start' | 'end' | 'both'
  /**
   * Renders the notice as mono samples in -1..1 at `sampleRate`, for a programme whose RMS is
   * `programmeRms` (null: unknown), padded with silence to at least `minLength` samples.
   */
  render(sampleRate: number, programmeRms: number | null, minLength?: number): Float32Array
}

export interface NoticeResult {
  bytes: Uint8Array
  /** Samples added per channel at each place. */
  added: { start: number; end: number }
  sampleRate: number
  messages: ReportMessage[]
}

export interface EssenceResult {
  method: string
  parts: EssenceParts
}

/**
 * One audio container format: parser, reader, writer, essence and (optionally) audible notice.
 * `parse` walks the container once (and validates it); `read`, `essence` and `write` take that
 * result for the same bytes, so one file is parsed once however many of them run. Without it
 * (other bytes, e.g. after the notice was added) each parses for itself.
 */
export interface AudioCodec {
  readonly id: string
  readonly bindingMethod: string
  parse(bytes: Uint8Array, limits: Limits): unknown
  read(bytes: Uint8Array, limits: Limits, parsed?: unknown): AudioRead
  essence(bytes: Uint8Array, limits: Limits, parsed?: unknown): EssenceResult
  write(bytes: Uint8Array, payload: CarrierPayload, limits: Limits, parsed?: unknown): WriteResult
  /** Adds the audible notice; absent when the format cannot take one. */
  addNotice?(bytes: Uint8Array, request: NoticeRequest, limits: Limits): Promise<NoticeResult>
  /** Decodes about `seconds` seconds at the start (or end), mono; absent when no decoder is available. */
  excerpt?(bytes: Uint8Array, where: 'start' | 'end', seconds: number, limits: Limits): Promise<DecodedExcerpt | null>
}

export function emptyRead(): AudioRead {
  return { tc260: [], tanba: [], xmp: [], c2pa: [], fields: {}, messages: [] }
}
