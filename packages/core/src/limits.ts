/**
 * Named limits that bound the work done on untrusted input. Every parser checks
 * them before it allocates or recurses; callers may lower or raise them.
 */
export interface Limits {
  /** Largest input accepted, in bytes. */
  maxInputBytes: number
  /** Largest decoded image, in pixels (width × height × frames). */
  maxPixels: number
  /** Deepest nesting of containers (RIFF LIST, MP4 boxes, XML elements, PDF objects). */
  maxDepth: number
  /** Most chunks, boxes, frames or segments walked in one container. */
  maxChunks: number
  /** Largest single metadata block (XMP packet, ID3 tag, comment header), in bytes. */
  maxMetadataBytes: number
  /** Most variation-selector runs examined in one text. */
  maxSelectorRuns: number
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxInputBytes: 2 * 1024 ** 3 - 1,
  maxPixels: 268_402_689, // sharp's own default limitInputPixels (0x3FFF × 0x3FFF)
  maxDepth: 64,
  maxChunks: 100_000,
  maxMetadataBytes: 16 * 1024 ** 2,
  maxSelectorRuns: 10_000,
})

export function resolveLimits(overrides?: Partial<Limits>): Limits {
  return { ...DEFAULT_LIMITS, ...overrides }
}
