/**
 * The invisible text wrapper: U+FEFF followed by one run of Unicode variation selectors,
 * each selector carrying one byte (the byte mapping of the C2PA unstructured-text wrapper):
 *   0x00-0x0F -> U+FE00-U+FE0F, 0x10-0xFF -> U+E0100-U+E01EF.
 * The bytes are: magic (8) | version (1) | payload length (uint32, big-endian) | payload.
 * Tanba's magic is "TANBATXT"; C2PA's is "C2PATXT\0". See docs/text.md.
 */
import { TooLargeError, type Limits } from '@tanba/core'

export const WRAPPER_PREFIX = '\uFEFF'
/** "TANBATXT" */
export const TANBA_TEXT_MAGIC: Uint8Array = Uint8Array.of(0x54, 0x41, 0x4e, 0x42, 0x41, 0x54, 0x58, 0x54)
/** "C2PATXT\0" */
export const C2PA_TEXT_MAGIC: Uint8Array = Uint8Array.of(0x43, 0x32, 0x50, 0x41, 0x54, 0x58, 0x54, 0x00)
export const TEXT_WRAPPER_VERSION = 1
/** Magic (8) + version (1) + length (4). */
export const WRAPPER_HEADER_LENGTH = 13
/** Fewer leading magic bytes than this are not taken as a cut-off wrapper. */
const MIN_MAGIC_PREFIX = 4

const SELECTORS: readonly string[] = Array.from({ length: 256 }, (_, b) =>
  b < 16 ? String.fromCharCode(0xfe00 + b) : String.fromCharCode(0xdb40, 0xdd00 + b - 16),
)

/** The variation selector that carries byte `b` (0-255). */
export function selectorForByte(b: number): string {
  const s = SELECTORS[b]
  if (s === undefined) throw new RangeError(`Expected a byte 0-255 but received ${b}`)
  return s
}

/** The byte a variation selector code point carries, or -1 when it is not one. */
export function byteForSelector(codePoint: number): number {
  if (codePoint >= 0xfe00 && codePoint <= 0xfe0f) return codePoint - 0xfe00
  if (codePoint >= 0xe0100 && codePoint <= 0xe01ef) return codePoint - 0xe0100 + 16
  return -1
}

/** Encodes bytes as variation selectors (no U+FEFF). */
export function encodeSelectors(bytes: Uint8Array): string {
  const parts: string[] = new Array(bytes.length)
  for (let i = 0; i < bytes.length; i++) parts[i] = SELECTORS[bytes[i]!]!
  return parts.join('')
}

/** The complete invisible wrapper for `payload`: U+FEFF, then header and payload as selectors. */
export function encodeTextWrapper(payload: Uint8Array, magic: Uint8Array = TANBA_TEXT_MAGIC, version = TEXT_WRAPPER_VERSION): string {
  if (magic.length !== 8) throw new RangeError('A text wrapper magic is 8 bytes')
  const header = new Uint8Array(WRAPPER_HEADER_LENGTH)
  header.set(magic, 0)
  header[8] = version
  new DataView(header.buffer).setUint32(9, payload.length, false)
  return WRAPPER_PREFIX + encodeSelectors(header) + encodeSelectors(payload)
}

/** A run of variation selectors directly after a U+FEFF. */
export interface SelectorRun {
  /** Index (UTF-16 units) of the U+FEFF that opens the run. */
  start: number
  /** Index just past the last selector. */
  end: number
  /** The bytes the selectors carry. */
  bytes: Uint8Array
}

/** Width in UTF-16 units of the selector at `i` (1 or 2), or 0 when there is none. */
function selectorWidth(text: string, i: number): number {
  const c = text.charCodeAt(i)
  if (c >= 0xfe00 && c <= 0xfe0f) return 1
  if (c === 0xdb40) {
    const d = text.charCodeAt(i + 1)
    if (d >= 0xdd00 && d <= 0xddef) return 2
  }
  return 0
}

/** True when a variation selector starts at `i`. */
export function isSelectorAt(text: string, i: number): boolean {
  return selectorWidth(text, i) > 0
}

/**
 * Every U+FEFF that is followed by at least one variation selector, with the bytes the run
 * carries. Selectors elsewhere (after an emoji or an ideograph) are ordinary text and ignored.
 * More runs than `limits.maxSelectorRuns` is a TooLargeError, so hostile input ends quickly.
 */
export function findSelectorRuns(text: string, limits?: Pick<Limits, 'maxSelectorRuns'>): SelectorRun[] {
  const runs: SelectorRun[] = []
  let i = text.indexOf(WRAPPER_PREFIX)
  while (i >= 0) {
    let j = i + 1
    let count = 0
    for (let w = selectorWidth(text, j); w > 0; w = selectorWidth(text, j)) {
      j += w
      count++
    }
    if (count === 0) {
      i = text.indexOf(WRAPPER_PREFIX, i + 1)
      continue
    }
    if (limits && runs.length >= limits.maxSelectorRuns) {
      throw new TooLargeError(
        `The text holds more than ${limits.maxSelectorRuns} runs of invisible variation selectors after U+FEFF (limits.maxSelectorRuns); it is not a labelled text`,
        { details: { limit: limits.maxSelectorRuns } },
      )
    }
    const bytes = new Uint8Array(count)
    for (let k = i + 1, o = 0; k < j; o++) {
      const c = text.charCodeAt(k)
      if (c === 0xdb40) {
        bytes[o] = text.charCodeAt(k + 1) - 0xdd00 + 16
        k += 2
      } else {
        bytes[o] = c - 0xfe00
        k += 1
      }
    }
    runs.push({ start: i, end: j, bytes })
    i = text.indexOf(WRAPPER_PREFIX, j)
  }
  return runs
}

export type WrapperKind = 'tanba' | 'c2pa' | 'unknown'

/** A selector run read as a wrapper. */
export interface TextWrapper extends SelectorRun {
  kind: WrapperKind
  version?: number
  /** The payload length the header declares. */
  declaredLength?: number
  /** The payload bytes present (at most the declared length). */
  payload?: Uint8Array
  /** Why the wrapper is broken (truncated, corrupt, unsupported version); absent when intact. */
  problem?: string
}

function prefixMatch(bytes: Uint8Array, magic: Uint8Array): number {
  const n = Math.min(bytes.length, magic.length)
  let i = 0
  while (i < n && bytes[i] === magic[i]) i++
  return i
}

/** Classifies a run: Tanba wrapper, C2PA wrapper (either possibly broken), or an unknown run. */
export function parseWrapper(run: SelectorRun): TextWrapper {
  const b = run.bytes
  const kinds: Array<['tanba' | 'c2pa', Uint8Array]> = [
    ['tanba', TANBA_TEXT_MAGIC],
    ['c2pa', C2PA_TEXT_MAGIC],
  ]
  for (const [kind, magic] of kinds) {
    const matched = prefixMatch(b, magic)
    if (matched === magic.length) return readHeader(run, kind)
    if (matched === b.length && matched >= MIN_MAGIC_PREFIX) {
      return { ...run, kind, problem: `truncated: the wrapper ends after ${b.length} of the 8 magic bytes` }
    }
  }
  return { ...run, kind: 'unknown' }
}

function readHeader(run: SelectorRun, kind: 'tanba' | 'c2pa'): TextWrapper {
  const b = run.bytes
  if (b.length < WRAPPER_HEADER_LENGTH) {
    return { ...run, kind, problem: `truncated: the ${WRAPPER_HEADER_LENGTH}-byte header is cut after ${b.length} bytes` }
  }
  const version = b[8]!
  const declaredLength = new DataView(b.buffer, b.byteOffset, b.length).getUint32(9, false)
  const available = b.length - WRAPPER_HEADER_LENGTH
  const payload = b.subarray(WRAPPER_HEADER_LENGTH, WRAPPER_HEADER_LENGTH + Math.min(declaredLength, available))
  const base = { ...run, kind, version, declaredLength, payload }
  if (version !== TEXT_WRAPPER_VERSION) return { ...base, problem: `unsupported wrapper version ${version} (expected ${TEXT_WRAPPER_VERSION})` }
  if (declaredLength > available) {
    return { ...base, problem: `truncated: the header declares ${declaredLength} payload bytes but only ${available} follow` }
  }
  // C2PA allows padding after the manifest; Tanba's wrapper has none, so extra bytes mean damage.
  if (kind === 'tanba' && declaredLength < available) {
    return { ...base, problem: `corrupt: ${available - declaredLength} unexpected bytes follow the declared ${declaredLength}-byte payload` }
  }
  return base
}

/** Every selector run of `text`, classified. */
export function findWrappers(text: string, limits?: Pick<Limits, 'maxSelectorRuns'>): TextWrapper[] {
  return findSelectorRuns(text, limits).map(parseWrapper)
}
