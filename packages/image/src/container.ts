// What every format reader returns: the few facts the adapter needs, found without decoding pixels.
import type { ImageFormatId } from './formats.js'
import type { ExifSummary } from './tiff/ifd.js'

/** What `essence` feeds: Node's crypto Hash and core's portable createSha256() both fit. */
export interface EssenceHash {
  update(data: Uint8Array | string): unknown
}

/** One XMP packet found in the file. */
export interface XmpPacket {
  /** Where it sits: "xmp" for the main packet, "xmp:extended" for JPEG extended XMP, ... */
  carrier: string
  text: string
}

/** A text field some generators write (PNG text chunks, GIF comments, EXIF UserComment). */
export interface TextField {
  carrier: string
  keyword: string
  text: string
}

export interface ParsedImage {
  format: ImageFormatId
  bytes: Uint8Array
  /** Stored dimensions (before EXIF orientation), of one frame or page. */
  width: number
  height: number
  /** Frames of an animation or pages of a TIFF (1 for a still image). */
  frames: number
  animated: boolean
  /** EXIF orientation 1..8 (1 when absent). */
  orientation: number
  xmp: XmpPacket[]
  texts: TextField[]
  exif?: ExifSummary
  /** A C2PA manifest store is embedded (its carrier, e.g. "jpeg:APP11"), or null. */
  c2pa: string | null
  /** Feeds the essence (the encoded image data, no metadata) into a hash. See docs/image.md. */
  essence(hash: EssenceHash): void
  /**
   * Feeds the metadata a renderer uses to turn the essence into what people see (colour profiles and
   * transforms, orientation, animation control): bound from tanba.image.data/2 on. See docs/security.md.
   */
  rendering(hash: EssenceHash): void
  /** Content outside the binding that a renderer would still use (e.g. SVG elements inside the XMP): each is a fatal finding. */
  hidden?: string[]
  /** Notes about the structure (non-fatal), e.g. data after the end of the image. */
  notes: string[]
}

/** Dimensions as displayed: orientations 5 to 8 swap width and height. */
export function displaySize(image: Pick<ParsedImage, 'width' | 'height' | 'orientation'>): { width: number; height: number } {
  return image.orientation >= 5 ? { width: image.height, height: image.width } : { width: image.width, height: image.height }
}

export function u32be(value: number): Uint8Array {
  const out = new Uint8Array(4)
  new DataView(out.buffer).setUint32(0, value >>> 0)
  return out
}

export function latin1(bytes: Uint8Array): string {
  let s = ''
  for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode(...bytes.subarray(i, i + 8192))
  return s
}

export function hex(bytes: Uint8Array, n = 8): string {
  return Array.from(bytes.subarray(0, n), (b) => b.toString(16).padStart(2, '0')).join(' ')
}
