// A bounds-checked reader for TIFF structures: TIFF files and the EXIF blocks inside JPEG, PNG and WebP.
import { MalformedInputError, TooLargeError, UnsupportedFormatError, type Limits } from '@tanba/core'

export interface IfdEntry {
  tag: number
  type: number
  count: number
  /** Offset of the value bytes (inline in the entry when they fit in 4 bytes). */
  valueOffset: number
  /** Offset of the 12-byte entry itself. */
  entryOffset: number
}

export interface Ifd {
  offset: number
  entries: Map<number, IfdEntry>
  /** Offset of the 4-byte "next IFD" pointer. */
  nextPointerOffset: number
  next: number
}

const TYPE_SIZES: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4 }

export class TiffReader {
  readonly bytes: Uint8Array
  readonly view: DataView
  readonly le: boolean
  readonly firstIfd: number

  constructor(bytes: Uint8Array, what = 'TIFF') {
    this.bytes = bytes
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    if (bytes.length < 8) throw new MalformedInputError(`Expected an 8-byte ${what} header but found ${bytes.length} bytes`)
    const order = String.fromCharCode(bytes[0]!, bytes[1]!)
    if (order !== 'II' && order !== 'MM') throw new MalformedInputError(`Expected a ${what} byte-order mark "II" or "MM" but found ${JSON.stringify(order)}`)
    this.le = order === 'II'
    const magic = this.view.getUint16(2, this.le)
    if (magic === 43) throw new UnsupportedFormatError(`BigTIFF (64-bit offsets) is not supported in ${what}; save the image as a classic TIFF (for example "tiffcp in.tif out.tif", without -8)`, { details: { format: 'tiff', feature: 'bigtiff' } })
    if (magic !== 42) throw new MalformedInputError(`Expected the ${what} magic number 42 but found ${magic}`)
    this.firstIfd = this.view.getUint32(4, this.le)
  }

  u16(o: number): number {
    this.check(o, 2)
    return this.view.getUint16(o, this.le)
  }

  u32(o: number): number {
    this.check(o, 4)
    return this.view.getUint32(o, this.le)
  }

  check(o: number, n: number): void {
    if (o < 0 || n < 0 || o + n > this.bytes.length) {
      throw new MalformedInputError(`TIFF data points outside the file: ${n} bytes at offset ${o}, file has ${this.bytes.length}`)
    }
  }

  readIfd(offset: number, maxEntries: number): Ifd {
    const count = this.u16(offset)
    if (count > maxEntries) throw new TooLargeError(`A TIFF directory at offset ${offset} declares ${count} entries (limits.maxChunks is ${maxEntries})`)
    this.check(offset + 2, count * 12 + 4)
    const entries = new Map<number, IfdEntry>()
    for (let i = 0; i < count; i++) {
      const e = offset + 2 + i * 12
      const tag = this.view.getUint16(e, this.le)
      const type = this.view.getUint16(e + 2, this.le)
      const n = this.view.getUint32(e + 4, this.le)
      const size = (TYPE_SIZES[type] ?? 1) * n
      const valueOffset = size <= 4 ? e + 8 : this.view.getUint32(e + 8, this.le)
      if (TYPE_SIZES[type] !== undefined && size > 4) this.check(valueOffset, size)
      if (!entries.has(tag)) entries.set(tag, { tag, type, count: n, valueOffset, entryOffset: e })
    }
    const nextPointerOffset = offset + 2 + count * 12
    return { offset, entries, nextPointerOffset, next: this.view.getUint32(nextPointerOffset, this.le) }
  }

  /** The IFD chain from `start` (pages of a TIFF), refusing loops and more than `limits.maxChunks` directories. */
  chain(start: number, limits: Pick<Limits, 'maxChunks'>): Ifd[] {
    const out: Ifd[] = []
    const seen = new Set<number>()
    let o = start
    while (o) {
      if (seen.has(o)) throw new MalformedInputError(`The TIFF directory chain loops back to offset ${o}`)
      if (out.length >= limits.maxChunks) throw new TooLargeError(`The TIFF file has more than ${limits.maxChunks} directories (limits.maxChunks)`)
      seen.add(o)
      const ifd = this.readIfd(o, limits.maxChunks)
      out.push(ifd)
      o = ifd.next
    }
    return out
  }

  /** Numeric values of an entry (BYTE, SHORT, LONG, their signed forms, IFD). */
  numbers(entry: IfdEntry, max = 1 << 20): number[] {
    const size = TYPE_SIZES[entry.type]
    if (!size || entry.type === 5 || entry.type === 10 || entry.type === 11 || entry.type === 12) {
      throw new MalformedInputError(`TIFF tag ${entry.tag} has type ${entry.type}; expected an integer type`)
    }
    if (entry.count > max) throw new TooLargeError(`TIFF tag ${entry.tag} has ${entry.count} values (limit ${max})`)
    this.check(entry.valueOffset, size * entry.count)
    const out: number[] = new Array(entry.count)
    for (let i = 0; i < entry.count; i++) {
      const o = entry.valueOffset + i * size
      out[i] =
        size === 1
          ? entry.type === 6
            ? this.view.getInt8(o)
            : this.bytes[o]!
          : size === 2
            ? entry.type === 8
              ? this.view.getInt16(o, this.le)
              : this.view.getUint16(o, this.le)
            : entry.type === 9
              ? this.view.getInt32(o, this.le)
              : this.view.getUint32(o, this.le)
    }
    return out
  }

  number(entry: IfdEntry | undefined): number | undefined {
    if (!entry || entry.count < 1) return undefined
    return this.numbers({ ...entry, count: 1 })[0]
  }

  /** The raw value bytes of an entry. */
  raw(entry: IfdEntry): Uint8Array {
    const size = (TYPE_SIZES[entry.type] ?? 1) * entry.count
    this.check(entry.valueOffset, size)
    return this.bytes.subarray(entry.valueOffset, entry.valueOffset + size)
  }

  /** Value bytes in a byte-order-independent form (each multi-byte value as big-endian). */
  normalised(entry: IfdEntry): Uint8Array {
    const raw = this.raw(entry)
    const unit = TYPE_SIZES[entry.type] ?? 1
    if (!this.le || unit === 1) return raw
    const out = new Uint8Array(raw.length)
    // RATIONALs are two LONGs; swap in 4-byte units for them.
    const step = entry.type === 5 || entry.type === 10 ? 4 : unit
    for (let i = 0; i < raw.length; i += step) for (let j = 0; j < step; j++) out[i + j] = raw[i + step - 1 - j]!
    return out
  }

  text(entry: IfdEntry | undefined, maxBytes: number): string | undefined {
    if (!entry) return undefined
    if (entry.count > maxBytes) throw new TooLargeError(`TIFF tag ${entry.tag} holds ${entry.count} bytes (limits.maxMetadataBytes is ${maxBytes})`)
    return new TextDecoder('utf-8').decode(this.raw(entry)).replace(/\0+$/, '')
  }
}

// Tags this package reads.
export const TAG = {
  imageWidth: 256,
  imageLength: 257,
  bitsPerSample: 258,
  compression: 259,
  photometric: 262,
  imageDescription: 270,
  stripOffsets: 273,
  orientation: 274,
  samplesPerPixel: 277,
  rowsPerStrip: 278,
  stripByteCounts: 279,
  software: 305,
  xmp: 700,
  tileOffsets: 324,
  tileByteCounts: 325,
  jpegIfOffset: 513,
  jpegIfLength: 514,
  exifIfd: 34665,
  userComment: 37510,
  c2pa: 0xcd41,
} as const

export interface ExifSummary {
  orientation?: number
  userComment?: string
  imageDescription?: string
  software?: string
}

/** Orientation, UserComment and the like from an EXIF block (a TIFF structure). Never throws on damage. */
export function readExif(tiff: Uint8Array, limits: Pick<Limits, 'maxChunks' | 'maxMetadataBytes'>): ExifSummary {
  try {
    const r = new TiffReader(tiff, 'EXIF')
    if (!r.firstIfd) return {}
    const ifd0 = r.readIfd(r.firstIfd, limits.maxChunks)
    const out: ExifSummary = {}
    const orientation = r.number(ifd0.entries.get(TAG.orientation))
    if (orientation && orientation >= 1 && orientation <= 8) out.orientation = orientation
    const description = r.text(ifd0.entries.get(TAG.imageDescription), limits.maxMetadataBytes)
    if (description) out.imageDescription = description
    const software = r.text(ifd0.entries.get(TAG.software), limits.maxMetadataBytes)
    if (software) out.software = software
    const exifPointer = r.number(ifd0.entries.get(TAG.exifIfd))
    if (exifPointer) {
      const exif = r.readIfd(exifPointer, limits.maxChunks)
      const uc = exif.entries.get(TAG.userComment)
      if (uc && uc.count > 8) {
        if (uc.count > limits.maxMetadataBytes) throw new TooLargeError('EXIF UserComment too large')
        const raw = r.raw(uc)
        const code = String.fromCharCode(...raw.subarray(0, 8)).replace(/\0/g, '')
        const body = raw.subarray(8)
        // "UNICODE" is UTF-16 in the EXIF byte order (A1111 writes big-endian); "ASCII" or blank is 8-bit.
        out.userComment = (code === 'UNICODE' ? new TextDecoder(r.le && !looksBigEndianUtf16(body) ? 'utf-16le' : 'utf-16be').decode(body) : new TextDecoder('utf-8').decode(body)).replace(/\0+$/, '')
      }
    }
    return out
  } catch {
    return {}
  }
}

function looksBigEndianUtf16(body: Uint8Array): boolean {
  // ASCII text in UTF-16BE has zero bytes at even offsets.
  let even = 0
  let odd = 0
  for (let i = 0; i + 1 < Math.min(body.length, 64); i += 2) {
    if (body[i] === 0) even++
    if (body[i + 1] === 0) odd++
  }
  return even > odd
}

/**
 * Removes the thumbnail from an EXIF block: unlinks IFD1 and zero-fills the embedded JPEG, so no
 * preview of the image without its warning survives. Returns a new block (same length) or the input.
 */
export function stripExifThumbnail(tiff: Uint8Array, limits: Pick<Limits, 'maxChunks'>): Uint8Array {
  try {
    const r = new TiffReader(tiff, 'EXIF')
    if (!r.firstIfd) return tiff
    const ifd0 = r.readIfd(r.firstIfd, limits.maxChunks)
    if (!ifd0.next) return tiff
    const out = tiff.slice()
    const view = new DataView(out.buffer)
    const ifd1 = r.readIfd(ifd0.next, limits.maxChunks)
    const offset = r.number(ifd1.entries.get(TAG.jpegIfOffset))
    const length = r.number(ifd1.entries.get(TAG.jpegIfLength))
    if (offset && length && offset + length <= out.length) out.fill(0, offset, offset + length)
    for (const [tag, entry] of ifd1.entries) {
      if (tag === TAG.stripOffsets) {
        const counts = ifd1.entries.get(TAG.stripByteCounts)
        const offs = r.numbers(entry, 4096)
        const lens = counts ? r.numbers(counts, 4096) : []
        offs.forEach((o, i) => {
          const n = lens[i] ?? 0
          if (o + n <= out.length) out.fill(0, o, o + n)
        })
      }
    }
    view.setUint32(ifd0.nextPointerOffset, 0, r.le)
    return out
  } catch {
    return tiff
  }
}
