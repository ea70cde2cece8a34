import type { Adapter, AdapterEntry, FormatInfo } from './adapter.js'
import { MalformedInputError, UnrecognisedFormatError, UnsupportedFormatError } from './errors.js'

export interface DetectHints {
  /** Explicit media type, e.g. from a Content-Type header. Checked first. */
  mediaType?: string
  /** File name or path; its extension is checked second. */
  filename?: string
}

export interface Detection {
  format: FormatInfo
  entry: AdapterEntry
  /** How it was decided. */
  by: 'media-type' | 'extension' | 'magic'
}

/** The number of leading bytes format sniffers look at (after any leading ID3v2 tag). */
export const SNIFF_BYTES = 4096

/** Holds adapter entries; loads an adapter only when a format needs it. */
export class AdapterRegistry {
  readonly #entries: AdapterEntry[] = []
  readonly #loaded = new Map<AdapterEntry, Promise<Adapter>>()

  register(entry: AdapterEntry): this {
    this.#entries.push(entry)
    return this
  }

  get entries(): readonly AdapterEntry[] {
    return this.#entries
  }

  get formats(): FormatInfo[] {
    return this.#entries.flatMap((e) => e.formats)
  }

  /**
   * Detects the format in a fixed order: explicit media type, then extension, then magic bytes.
   * A media type or extension that is known is confirmed by the magic bytes when the format has a
   * sniffer and the bytes clearly belong to another format.
   */
  detect(bytes: Uint8Array, hints: DetectHints = {}): Detection {
    const head = sniffWindow(bytes)
    const byMagic = this.#sniff(head)
    const pairs = this.#entries.flatMap((entry) => entry.formats.map((format) => ({ entry, format })))
    const mediaType = hints.mediaType?.split(';')[0]?.trim().toLowerCase()
    if (mediaType) {
      const hit = pairs.find((p) => p.format.mediaTypes.includes(mediaType))
      if (hit) return this.#confirm(hit, byMagic, head, 'media-type')
    }
    const ext = hints.filename?.toLowerCase().match(/\.([a-z0-9]+)$/)?.[1]
    if (ext) {
      const hit = pairs.find((p) => p.format.extensions.includes(ext))
      if (hit) return this.#confirm(hit, byMagic, head, 'extension')
    }
    if (byMagic) return { ...byMagic, by: 'magic' }
    const what = [mediaType && `media type ${mediaType}`, ext && `extension .${ext}`].filter(Boolean).join(', ')
    throw new UnrecognisedFormatError(
      `Could not tell what this file is${what ? ` (${what})` : ''}: expected one of ${this.formats.map((f) => f.id).join(', ')}`,
      { details: { mediaType, extension: ext } },
    )
  }

  /**
   * The error to give when a detection by name (extension or media type) names a binary format
   * whose sniffer rejects the bytes and the bytes are recognisably text: the file is misnamed,
   * not damaged. Undefined when that is not the case (let the adapter judge the file).
   */
  contentMismatch(bytes: Uint8Array, detection: Detection): MalformedInputError | undefined {
    const format = detection.format
    if (detection.by === 'magic' || format.kind === 'text' || !format.sniff || format.mediaTypes.some((t) => t.includes('xml'))) return undefined
    const head = sniffWindow(bytes)
    if (safeSniff(format, head)) return undefined
    const other = this.#sniff(head)
    const looks = other && other.format.kind === 'text' ? other.format : looksLikeText(head) ? undefined : null
    if (looks === null) return undefined
    const name = format.id.toUpperCase()
    const what = !looks || looks.id === 'text' ? 'plain text' : looks.id.toUpperCase()
    return new MalformedInputError(
      `The file is ${detection.by === 'extension' ? 'named' : 'labelled with a media type'} as ${name} but its content is not ${name}: it looks like ${what}. Rename it to match its content (e.g. .${looks?.extensions[0] ?? 'txt'}) or give the right media type`,
      { details: { expected: format.id, found: looks?.id ?? 'text' } },
    )
  }

  /** Loads (once) the adapter for a detection and checks that the format is supported. */
  async load(detection: Detection): Promise<Adapter> {
    if (!detection.format.supported) {
      throw new UnsupportedFormatError(`${detection.format.id.toUpperCase()} is recognised but not supported${detection.format.note ? `: ${detection.format.note}` : ''}`, {
        details: { format: detection.format.id },
      })
    }
    let pending = this.#loaded.get(detection.entry)
    if (!pending) {
      pending = detection.entry.load()
      this.#loaded.set(detection.entry, pending)
      pending.catch(() => this.#loaded.delete(detection.entry))
    }
    return pending
  }

  #sniff(head: Uint8Array): { entry: AdapterEntry; format: FormatInfo } | undefined {
    for (const entry of this.#entries) {
      for (const format of entry.formats) {
        try {
          if (format.sniff?.(head)) return { entry, format }
        } catch {
          // a sniffer must never break detection
        }
      }
    }
    return undefined
  }

  #confirm(
    hit: { entry: AdapterEntry; format: FormatInfo },
    byMagic: { entry: AdapterEntry; format: FormatInfo } | undefined,
    head: Uint8Array,
    by: Detection['by'],
  ): Detection {
    // Content wins over a misleading name: a PNG called notes.txt is a PNG. A text-format
    // sniff (e.g. "looks like HTML") never overrides an explicit name or media type.
    if (byMagic && byMagic.format.id !== hit.format.id && byMagic.format.kind !== 'text' && !safeSniff(hit.format, head)) {
      return { ...byMagic, by: 'magic' }
    }
    return { ...hit, by }
  }
}

/** UTF-8 without NUL or other C0 controls than tab, newline and carriage return: text, not a damaged binary file. */
function looksLikeText(head: Uint8Array): boolean {
  if (head.length === 0) return false
  // A multi-byte character may be cut at the end of the window.
  let end = head.length
  for (let back = 0; back < 3 && end > 0 && (head[end - 1]! & 0xc0) === 0x80; back++) end--
  if (end > 0 && head[end - 1]! >= 0xc0) end--
  for (let i = 0; i < end; i++) {
    const b = head[i]!
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return false
  }
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, end))
    return true
  } catch {
    return false
  }
}

function safeSniff(format: FormatInfo, head: Uint8Array): boolean {
  try {
    return Boolean(format.sniff?.(head))
  } catch {
    return false
  }
}

/**
 * The bytes a sniffer sees: the first {@link SNIFF_BYTES}, extended past a leading ID3v2 tag
 * (which MP3 files, and FLAC files signed by some C2PA tools, start with), so that the format
 * behind the tag can be told apart.
 */
export function sniffWindow(bytes: Uint8Array): Uint8Array {
  let end = SNIFF_BYTES
  if (bytes.length >= 10 && startsWith(bytes, 'ID3') && bytes[3]! < 0xff) {
    const tag = 10 + (((bytes[6]! & 0x7f) << 21) | ((bytes[7]! & 0x7f) << 14) | ((bytes[8]! & 0x7f) << 7) | (bytes[9]! & 0x7f)) + (bytes[5]! & 0x10 ? 10 : 0)
    end = tag + SNIFF_BYTES
  }
  return bytes.subarray(0, end)
}

/** True when `bytes` starts with `magic` at `offset`. */
export function startsWith(bytes: Uint8Array, magic: ArrayLike<number> | string, offset = 0): boolean {
  const m = typeof magic === 'string' ? Array.from(magic, (c) => c.charCodeAt(0)) : magic
  if (bytes.length < offset + m.length) return false
  for (let i = 0; i < m.length; i++) if (bytes[offset + i] !== m[i]) return false
  return true
}
