import { CORE_RULES, errorReport, extendResult, InvalidOptionError, isTanbaError, openOptions, openWith, stampAsset, UnsupportedFormatError, verifyWith, type Adapter, type AdapterRegistry, type Detection, type FormatInfo, type Label, type Marker, type MediaKind, type ReportMessage, type StampOptions, type VerificationReport, type VerifyOptions } from '@tanba/core'
import { defaultRegistry } from './registry.js'

/** Where the bytes come from: helps detection (media type first, then the file name's extension). */
export interface InputHints {
  /** Explicit media type, e.g. from a Content-Type header. */
  mediaType?: string
  /** File name or path; its extension is used when no media type is given. */
  filename?: string
  /** The registry to detect and load adapters from (default: Tanba's adapters). */
  registry?: AdapterRegistry
}

export interface SdkStampOptions extends StampOptions, InputHints {
  /**
   * Replace an existing Tanba label. Without it, input that already carries one is returned
   * unchanged with `alreadyLabelled: true`, so a file never gets a second notice or label.
   */
  force?: boolean
}

export interface StampOutcome {
  /** The stamped bytes, or the input itself when it was already labelled. */
  bytes: Uint8Array
  /**
   * The same file as pieces, when the adapter built it that way (audio: tags and chunks around
   * views of the untouched audio). `bytes` joins them on its first read; to write a large file
   * without that copy, give `parts ?? bytes` to `writeFileAtomic` from `@tanba/core/node`.
   */
  parts?: readonly Uint8Array[]
  /** The new label, or the existing one when already labelled (null if that copy could not be decoded). */
  label: Label | null
  /** Carriers written (empty when already labelled). */
  carriers: string[]
  messages: ReportMessage[]
  format: FormatInfo
  detectedBy: Detection['by']
  /** The input already carried a Tanba label and was returned unchanged. */
  alreadyLabelled: boolean
  /** An existing label was replaced (only with `force`). */
  replaced: boolean
}

export type SdkVerifyOptions = VerifyOptions & InputHints

export interface InspectOptions extends InputHints {
  /** Read C2PA manifests (default true). */
  c2pa?: boolean
  limits?: StampOptions['limits']
  signal?: AbortSignal
  adapterOptions?: Record<string, unknown>
}

/** One Tanba label copy found by `inspect`. */
export interface InspectedLabel {
  carrier: string
  label?: Label
  error?: { code: string; message: string }
}

/** Everything in a file that says (or could say) it is AI-made, without judging validity. */
export interface InspectReport {
  file?: string
  format: string
  mediaType: string
  kind: MediaKind
  detectedBy: Detection['by']
  size: number
  /** True when any marker says the content is AI-made. */
  aiMarked: boolean
  markers: Marker[]
  labels: InspectedLabel[]
  /** Metadata fields relevant to AI disclosure (field name → value). */
  fields: Record<string, unknown>
  messages: ReportMessage[]
}

function assertBytes(input: unknown, fn: string): asserts input is Uint8Array {
  if (!(input instanceof Uint8Array)) {
    throw new InvalidOptionError(`Expected ${fn}() input to be a Uint8Array but received ${input === null ? 'null' : typeof input}`)
  }
}

function hintsOf(options: InputHints): { mediaType?: string; filename?: string } {
  return { ...(options.mediaType ? { mediaType: options.mediaType } : {}), ...(options.filename ? { filename: options.filename } : {}) }
}

async function detectAndLoad(input: Uint8Array, options: InputHints): Promise<{ detection: Detection; adapter: Adapter }> {
  const registry = options.registry ?? defaultRegistry()
  const detection = registry.detect(input, hintsOf(options))
  const mismatch = registry.contentMismatch(input, detection)
  if (mismatch) throw mismatch
  const adapter = await registry.load(detection)
  return { detection, adapter }
}

/**
 * Stamps AI-generated content: detects the format, applies the perceivable notice and the
 * machine-readable carriers, and returns the new bytes. The input is never modified.
 *
 * Input that already carries a Tanba label comes back unchanged with `alreadyLabelled: true`
 * unless `force` is set, in which case the label is replaced.
 */
export async function stamp(input: Uint8Array, options: SdkStampOptions): Promise<StampOutcome> {
  assertBytes(input, 'stamp')
  if (!options || typeof options !== 'object') throw new InvalidOptionError('Expected stamp options with signer, system and owner')
  const { detection, adapter } = await detectAndLoad(input, options)
  const format = detection.format
  if (!adapter.capabilities.stamp) {
    throw new UnsupportedFormatError(`The ${adapter.name} adapter loaded for ${format.id.toUpperCase()} only reads: it cannot stamp`, { details: { format: format.id, readOnly: true } })
  }
  // One parse for the whole stamp: the look for an earlier label and the stamp share it.
  const asset = await openWith(adapter, input, format, openOptions(options))
  // A cheap look (no C2PA, no decoding): a second label must never be added silently.
  const existing = await asset.read({ c2pa: false, content: false, tags: false })
  if (existing.labels.length > 0 && !options.force) {
    const carriers = existing.labels.map((l) => l.carrier)
    return {
      bytes: input,
      label: existing.labels.find((l) => l.label)?.label ?? null,
      carriers: [],
      messages: [
        CORE_RULES.message('stamp.already-labelled', `Already carries a Tanba label (${carriers.join(', ')}); kept unchanged. Use force to replace it.`, { carrier: carriers[0] }),
      ],
      format,
      detectedBy: detection.by,
      alreadyLabelled: true,
      replaced: false,
    }
  }
  const result = await stampAsset(asset, options)
  if (format.kind === 'text' && input.length === 0) {
    // Stamped, not refused: an AI service may really return an empty answer, and the label then
    // says so. But nothing of the content itself is there to see, so say it.
    result.messages.push(CORE_RULES.message('text.empty', 'The text is empty: the stamped file holds only the notice and the label, which covers empty content'))
  }
  // extendResult, not a spread: a spread would read `bytes` and join an adapter's parts in memory.
  return extendResult(result, { format, detectedBy: detection.by, alreadyLabelled: false, replaced: existing.labels.length > 0 })
}

/**
 * Verifies bytes: finds every AI marker, checks the Tanba label's signature, trust and binding,
 * and evaluates the profiles. Unreadable or unknown input gives a report with status "error";
 * it throws only for programmer errors and when aborted.
 */
export async function verify(input: Uint8Array, options: SdkVerifyOptions = {}): Promise<VerificationReport> {
  assertBytes(input, 'verify')
  let detection: Detection | undefined
  let adapter: Adapter
  try {
    ;({ detection, adapter } = await detectAndLoad(input, options))
  } catch (error) {
    if (isTanbaError(error) && error.code === 'TANBA_ABORTED') throw error
    return errorReport(error, detection?.format ?? {}, options.file)
  }
  return verifyWith(adapter, input, detection.format, options)
}

/**
 * Lists every marker and metadata field relevant to AI disclosure, from any standard,
 * without judging them. Throws a TanbaError when the input cannot be read.
 */
export async function inspect(input: Uint8Array, options: InspectOptions = {}): Promise<InspectReport> {
  assertBytes(input, 'inspect')
  const { detection, adapter } = await detectAndLoad(input, options)
  const asset = await openWith(adapter, input, detection.format, openOptions(options))
  const extraction = await asset.read({ c2pa: options.c2pa ?? true, content: true, tags: true })
  return {
    ...(options.filename ? { file: options.filename } : {}),
    format: detection.format.id,
    mediaType: detection.format.mediaTypes[0] ?? 'application/octet-stream',
    kind: detection.format.kind,
    detectedBy: detection.by,
    size: input.length,
    aiMarked: extraction.markers.some((m) => m.aiMarked) || extraction.labels.some((l) => l.label),
    markers: extraction.markers,
    labels: extraction.labels.map((l) => ({
      carrier: l.carrier,
      ...(l.label ? { label: l.label } : {}),
      ...(l.error ? { error: { code: l.error.code, message: l.error.message } } : {}),
    })),
    fields: extraction.fields,
    messages: extraction.messages,
  }
}
