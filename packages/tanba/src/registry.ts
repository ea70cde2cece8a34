import { AdapterRegistry, type AdapterEntry, type Detection, type DetectHints, type MediaKind } from '@tanba/core'
import { audioEntry } from '@tanba/audio'
import { imageEntry } from '@tanba/image'
import { pdfEntry } from '@tanba/pdf'
import { textEntry } from '@tanba/text'
import { videoEntry } from '@tanba/video'

/**
 * The adapters Tanba ships. Each is a static format list plus a lazy loader, so importing
 * this module never loads sharp, pdf-lib or the C2PA addon.
 */
export const ADAPTERS: readonly AdapterEntry[] = Object.freeze([imageEntry, pdfEntry, audioEntry, videoEntry, textEntry])

/** Sniffing order: binary formats have exact magic bytes; text accepts almost any bytes, so it goes last. */
const KIND_ORDER: Record<MediaKind, number> = { image: 0, pdf: 1, audio: 2, video: 3, text: 4 }

export interface RegistryOptions {
  /** Adapters to register instead of Tanba's own, in the order given. */
  adapters?: readonly AdapterEntry[]
  /** Adapters to register in addition to Tanba's own (they are sniffed before text). */
  extraAdapters?: readonly AdapterEntry[]
}

/** A registry holding Tanba's adapters (or the ones given), binary formats sniffed before text. */
export function createRegistry(options: RegistryOptions = {}): AdapterRegistry {
  const registry = new AdapterRegistry()
  const entries = options.adapters ?? sortForSniffing([...ADAPTERS, ...(options.extraAdapters ?? [])])
  for (const entry of entries) registry.register(entry)
  return registry
}

/** Stable sort by media kind: image, PDF, audio, video, then text. */
export function sortForSniffing(entries: readonly AdapterEntry[]): AdapterEntry[] {
  return entries
    .map((entry, index) => ({ entry, index }))
    .sort((a, b) => (KIND_ORDER[a.entry.kind] ?? 2) - (KIND_ORDER[b.entry.kind] ?? 2) || a.index - b.index)
    .map((x) => x.entry)
}

let shared: AdapterRegistry | undefined

/** The registry `stamp`, `verify` and `inspect` use when none is passed. */
export function defaultRegistry(): AdapterRegistry {
  shared ??= createRegistry()
  return shared
}

/**
 * Tells which format `bytes` are in: explicit media type first, then the file name's extension,
 * then magic bytes. Throws UnrecognisedFormatError when nothing matches.
 */
export function detect(bytes: Uint8Array, hints: DetectHints = {}, registry: AdapterRegistry = defaultRegistry()): Detection {
  return registry.detect(bytes, hints)
}
